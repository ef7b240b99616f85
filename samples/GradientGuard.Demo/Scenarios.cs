using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Demo;

/// <summary>The classic runs: broken networks and their fixed twins, and a healthy network broken by its learning rate.</summary>
internal static class Scenarios
{
    public static IReadOnlyList<Scenario> All { get; } = new[]
    {
        new Scenario("sigmoid-mlp", "Deep MLP, Sigmoid hidden layers, default init", "vanishing", SigmoidMlp, Regression, 0.1, Clip: false),
        new Scenario("relu-mlp", "Same depth, ReLU and He init", "healthy", ReluMlp, Regression, 0.1, Clip: false),
        new Scenario("plain-rnn", "Plain RNN, long sequences, large learning rate, no clipping", "exploding", PlainRnn, Sequences, 0.5, Clip: false),
        new Scenario("gru-clipped", "Same task with nn.GRU and clip_grad_norm_ (GG0005's and GG0003's fixes)", "healthy", ClippedGru, Sequences, 0.5, Clip: true),
        new Scenario("relu-high-lr", "The healthy ReLU MLP under Adam at a learning rate 100x its usual 1e-3", "dead units", ReluMlp, Regression, 0.1, Clip: false, Adam: true),
    };

    private static nn.Module<Tensor, Tensor> SigmoidMlp() => Mlp(nn.Sigmoid, heInit: false);

    private static nn.Module<Tensor, Tensor> ReluMlp() => Mlp(() => nn.ReLU(), heInit: true);

    private static nn.Module<Tensor, Tensor> Mlp(Func<nn.Module<Tensor, Tensor>> activation, bool heInit)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long width = 16;
        for (int i = 1; i <= 8; i++)
        {
            var linear = nn.Linear(width, 32);
            if (heInit)
                nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(($"fc{i}", linear));
            layers.Add(($"act{i}", activation()));
            width = 32;
        }
        layers.Add(("out", nn.Linear(width, 1)));
        return nn.Sequential(layers);
    }

    private static nn.Module<Tensor, Tensor> PlainRnn() => new RecurrentRegressor(nn.RNN(4, 32, batchFirst: true));

    // The exploding run's fix as its diagnostic gives it: a gated cell (GG0005) and clipping (GG0003, the scenario's Clip).
    // Clipping alone bounds the steps but leaves the plain RNN's chaotic dynamics: its loss then swings (LossOscillating).
    private static nn.Module<Tensor, Tensor> ClippedGru() => new RecurrentRegressor(nn.GRU(4, 32, batchFirst: true));

    private static (Tensor X, Tensor Y) Regression(int batch)
    {
        var x = randn(batch, 16);
        return (x, x.sin().sum(1, keepdim: true).div(4));
    }

    private static (Tensor X, Tensor Y) Sequences(int batch)
    {
        var x = randn(batch, 60, 4);
        return (x, x.select(2, 0).mean(new long[] { 1 }, keepdim: true));
    }

    private sealed class RecurrentRegressor : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module rnn;
        private readonly Func<Tensor, Tensor> outputs; // RNN and GRU differ only in the nullability of call()'s h0
        private readonly TorchSharp.Modules.Linear head = nn.Linear(32, 1);

        public RecurrentRegressor(TorchSharp.Modules.RNN rnn) : this(rnn, x => rnn.call(x, null).Item1)
        {
        }

        public RecurrentRegressor(TorchSharp.Modules.GRU gru) : this(gru, x => gru.call(x, null!).Item1)
        {
        }

        private RecurrentRegressor(nn.Module rnn, Func<Tensor, Tensor> outputs) : base("RecurrentRegressor")
        {
            this.rnn = rnn;
            this.outputs = outputs;
            using (no_grad())
            {
                // A recurrent matrix whose spectral radius is above 1: the classic exploding setup.
                foreach (var (name, p) in rnn.named_parameters())
                    if (name.StartsWith("weight_hh", StringComparison.Ordinal))
                        p.mul_(3);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(outputs(x).select(1, -1));
    }
}

/// <summary>One demo run: how to build the model and its data, how to train it (SGD, or Adam), what verdict the run should earn.</summary>
internal sealed record Scenario(
    string Name,
    string Description,
    string Expected,
    Func<nn.Module<Tensor, Tensor>> CreateModel,
    Func<int, (Tensor X, Tensor Y)> CreateBatch,
    double LearningRate,
    bool Clip,
    bool Adam = false);
