using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>A monitor attached to a run that is already near its final loss (resumed from a checkpoint) sees no start of training.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ResumedRunTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void A_converged_run_watched_by_a_fresh_monitor_is_not_called_stalled(string optimizerName)
    {
        torch.manual_seed(141);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using optim.Optimizer optimizer = optimizerName == "adam" ? optim.Adam(model.parameters(), lr: 1e-3) : (optim.Optimizer)optim.SGD(model.parameters(), learningRate: 5e-2, momentum: 0.9);
        double first = Train(model, optimizer, monitor: null, steps: 1);
        double converged = Train(model, optimizer, monitor: null, steps: 1500);
        Assert.True(converged < 0.5 * first, $"the run converged first: {first} -> {converged}");

        // As when a checkpoint near its final loss is loaded into a new process: its flat loss is the start the monitor sees.
        using var monitor = model.MonitorGradients();
        Train(model, optimizer, monitor, steps: 300);

        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.LossStalled);
    }

    // Trains on the regression task; returns the median loss of the last 50 steps.
    private static double Train(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, GradientMonitor? monitor, int steps)
    {
        var losses = new System.Collections.Generic.List<double>();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(64, 16);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            monitor?.Check(loss);
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        var last = losses.TakeLast(50).OrderBy(l => l).ToList();
        return last[last.Count / 2];
    }
}
