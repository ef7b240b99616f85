using System.Collections.Generic;
using GradientGuard.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>A false alarm is a bug as much as a miss: healthy training runs hundreds of steps with no diagnostic.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class HealthyTrainingTests
{
    [Fact]
    public void Relu_mlp_with_he_init_raises_nothing()
    {
        torch.manual_seed(11);
        using var model = Models.ReluMlp(inputs: 32, width: 64, hiddenLayers: 5);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 32), steps: 300);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Small_cnn_with_batchnorm_raises_nothing()
    {
        torch.manual_seed(12);
        using var model = Models.SmallCnn();
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.05, momentum: 0.9);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Quadrants(32), steps: 200);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Residual_net_raises_nothing()
    {
        torch.manual_seed(13);
        using var model = new ResidualMlp(inputs: 16, width: 32, depth: 8);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 200);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Lstm_with_clipping_raises_nothing()
    {
        torch.manual_seed(14);
        using var model = new SequenceRegressor(inputs: 4, hidden: 32, plainRnn: false);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 5e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Sequences(32, 30, 4), steps: 200,
            afterBackward: _ => nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0));

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    // Real training (the loss at least halves) and not a single diagnostic.
    private static void AssertLearnedWithoutAlarm(GradientMonitor monitor, List<GradientReport> reports)
    {
        Assert.Empty(monitor.Diagnostics);
        Assert.True(reports[^1].Loss < reports[0].Loss / 2, $"loss {reports[0].Loss} -> {reports[^1].Loss}");
    }
}
