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

    private static nn.Module<Tensor, Tensor> SigmoidMlp() => new SigmoidMlp();

    // The healthy twin: the same depth built in a loop, ReLU and He init.
    private static nn.Module<Tensor, Tensor> ReluMlp()
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long width = 16;
        for (int i = 1; i <= 8; i++)
        {
            var linear = nn.Linear(width, 32);
            nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(($"fc{i}", linear));
            layers.Add(($"act{i}", nn.ReLU()));
            width = 32;
        }
        layers.Add(("out", nn.Linear(width, 1)));
        return nn.Sequential(layers);
    }

    private static nn.Module<Tensor, Tensor> PlainRnn() => new RnnRegressor();

    // The exploding run's fix as its diagnostic gives it: a gated cell (GG0005) and clipping (GG0003, the scenario's Clip).
    // Clipping alone bounds the steps but leaves the plain RNN's chaotic dynamics: its loss then swings (LossOscillating).
    private static nn.Module<Tensor, Tensor> ClippedGru() => new GruRegressor();

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

    // A recurrent matrix whose spectral radius is above 1: the classic exploding setup.
    private static void AmplifyRecurrence(nn.Module rnn)
    {
        using (no_grad())
        {
            foreach (var (name, p) in rnn.named_parameters())
                if (name.StartsWith("weight_hh", StringComparison.Ordinal))
                    p.mul_(3);
        }
    }

    // The plain-rnn run's model. Its own class, with the RNN a field of its type, so that the exploding finding the demo
    // writes lands on that field in the next build (GG1002).
    private sealed class RnnRegressor : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.RNN rnn = nn.RNN(4, 32, batchFirst: true);
        private readonly TorchSharp.Modules.Linear head = nn.Linear(32, 1);

        public RnnRegressor() : base("RecurrentRegressor")
        {
            AmplifyRecurrence(rnn);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(rnn.call(x, null).Item1.select(1, -1));
    }

    // The gru-clipped run's model: the same, with a gated cell.
    private sealed class GruRegressor : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.GRU rnn = nn.GRU(4, 32, batchFirst: true);
        private readonly TorchSharp.Modules.Linear head = nn.Linear(32, 1);

        public GruRegressor() : base("RecurrentRegressor")
        {
            AmplifyRecurrence(rnn);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(rnn.call(x, null!).Item1.select(1, -1));
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
