using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests.Support;

/// <summary>The small real models the tests train: the classic failures and their healthy counterparts.</summary>
internal static class Models
{
    /// <summary>A deep MLP with Sigmoid hidden activations and default init: the textbook vanishing case.</summary>
    public static Sequential DeepSigmoidMlp(int inputs, int width, int hiddenLayers)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { nn.Linear(inputs, width), nn.Sigmoid() };
        for (int i = 0; i < hiddenLayers; i++)
        {
            layers.Add(nn.Linear(width, width));
            layers.Add(nn.Sigmoid());
        }
        layers.Add(nn.Linear(width, 1));
        return nn.Sequential(layers);
    }

    /// <summary>A ReLU MLP; with <paramref name="initStd"/> its weights are drawn from N(0, std), otherwise He (kaiming_normal_).</summary>
    public static Sequential ReluMlp(int inputs, int width, int hiddenLayers, int outputs = 1, double? initStd = null)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long fanIn = inputs;
        for (int i = 0; i <= hiddenLayers; i++)
        {
            var linear = nn.Linear(fanIn, width);
            Initialize(linear, initStd);
            layers.Add(linear);
            layers.Add(nn.ReLU());
            fanIn = width;
        }
        var head = nn.Linear(fanIn, outputs);
        Initialize(head, initStd);
        layers.Add(head);
        return nn.Sequential(layers);
    }

    /// <summary>A small CNN with BatchNorm for 1x16x16 images and 4 classes.</summary>
    public static Sequential SmallCnn() => nn.Sequential(
        nn.Conv2d(1, 8, 3, padding: 1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 4));

    private static void Initialize(Linear linear, double? std)
    {
        using var noGrad = no_grad();
        if (std is double s)
            nn.init.normal_(linear.weight, 0, s);
        else
            nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
        nn.init.zeros_(linear.bias!);
    }
}

/// <summary>A residual MLP: x + f(LayerNorm(x)) blocks.</summary>
internal sealed class ResidualMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear input;
    private readonly ModuleList<Sequential> blocks = new();
    private readonly Linear head;

    public ResidualMlp(int inputs, int width, int depth) : base(nameof(ResidualMlp))
    {
        input = nn.Linear(inputs, width);
        for (int i = 0; i < depth; i++)
            blocks.Add(nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)));
        head = nn.Linear(width, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = input.call(x);
        foreach (var block in blocks)
            h = h + block.call(h);
        return head.call(h);
    }
}

/// <summary>A recurrent regressor over sequences: LSTM (healthy) or plain RNN (the classic exploding/vanishing case).</summary>
internal sealed class SequenceRegressor : nn.Module<Tensor, Tensor>
{
    private readonly RNN? rnn;
    private readonly LSTM? lstm;
    private readonly Linear head;

    public SequenceRegressor(int inputs, int hidden, bool plainRnn, double recurrentScale = 1) : base(nameof(SequenceRegressor))
    {
        if (plainRnn)
        {
            var r = nn.RNN(inputs, hidden, batchFirst: true);
            if (recurrentScale != 1)
            {
                using var noGrad = no_grad();
                foreach (var (name, p) in r.named_parameters())
                    if (name.StartsWith("weight_hh", StringComparison.Ordinal))
                        p.mul_(recurrentScale);
            }
            rnn = r;
        }
        else
        {
            lstm = nn.LSTM(inputs, hidden, batchFirst: true);
        }
        head = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var output = rnn is not null ? rnn.call(x, null).Item1 : lstm!.call(x).Item1;
        return head.call(output.select(1, -1));
    }
}

/// <summary>
/// An MLP that changes the way fine-tuning code changes models: a head added after construction. Counts its
/// named_modules() walks, so a test can tell whether a check walked the module tree.
/// </summary>
internal sealed class GrowingMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear body;
    private readonly Tanh act = nn.Tanh(); // probed: the activation probe hooks Sigmoid and Tanh
    private Linear? head;

    public GrowingMlp(int inputs, int width) : base(nameof(GrowingMlp))
    {
        body = nn.Linear(inputs, width);
        RegisterComponents();
    }

    public int NamedModulesWalks { get; private set; }

    public Linear Body => body;

    public Linear AddHead(int outputs)
    {
        head = nn.Linear(body.out_features, outputs);
        register_module("head", head);
        return head;
    }

    public override Tensor forward(Tensor x)
    {
        var h = act.call(body.call(x));
        if (gate is not null)
            h = gate.call(h);
        var y = head is null ? h.sum(1, keepdim: true) : head.call(h);
        return scale is null ? y : y * scale;
    }

    public override IEnumerable<(string name, nn.Module module)> named_modules()
    {
        NamedModulesWalks++;
        return base.named_modules();
    }

    /// <summary>How many times parameters() or named_parameters() walked the parameter dictionaries.</summary>
    public int NamedParametersWalks { get; private set; }

    /// <summary>Makes parameters() and named_parameters() throw, as a model whose walk fails.</summary>
    public bool FailWalks { get; set; }

    public override IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
    {
        if (FailWalks)
            throw new InvalidOperationException("the parameter walk failed");
        NamedParametersWalks++;
        return base.named_parameters(recurse);
    }

    /// <summary>Adds a Sigmoid-gated head: a new activation module for the probe, and new parameters.</summary>
    public Linear AddGatedHead(int outputs)
    {
        var gate = nn.Sequential(("fc", nn.Linear(body.out_features, body.out_features)), ("act", nn.Sigmoid()));
        register_module("gate", gate);
        this.gate = gate;
        return AddHead(outputs);
    }

    private Sequential? gate;

    /// <summary>Registers a new parameter on the model itself: no module is added and no parameter is disposed.</summary>
    public Parameter AddScale()
    {
        var scale = new Parameter(ones(1));
        register_parameter("scale", scale);
        this.scale = scale;
        return scale;
    }

    private Parameter? scale;
}

/// <summary>
/// A deep Sigmoid MLP whose forward() runs its layers with forward(), not call(), as much hand-written TorchSharp code
/// does: TorchSharp's forward hooks never fire inside it. <see cref="RunThroughCall"/> runs the layers once with call().
/// </summary>
internal sealed class ForwardCallingSigmoidMlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> layers = new();

    public ForwardCallingSigmoidMlp(int inputs, int width, int hiddenLayers) : base(nameof(ForwardCallingSigmoidMlp))
    {
        layers.Add(nn.Linear(inputs, width));
        for (int i = 0; i < hiddenLayers; i++)
        {
            layers.Add(nn.Sigmoid());
            layers.Add(nn.Linear(width, width));
        }
        layers.Add(nn.Sigmoid());
        layers.Add(nn.Linear(width, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in layers)
            x = layer.forward(x);
        return x;
    }

    public Tensor RunThroughCall(Tensor x)
    {
        foreach (var layer in layers)
            x = layer.call(x);
        return x;
    }
}
