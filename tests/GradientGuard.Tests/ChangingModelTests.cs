using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>Training code changes models after the monitor is attached; the monitor follows the model as it is at each check.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ChangingModelTests
{
    [Fact]
    public void A_parameter_replaced_after_attach_is_measured_in_checks_and_guarded_steps()
    {
        torch.manual_seed(71);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using (var first = optim.SGD(model.parameters(), learningRate: 1e-2))
            Training.Run(model, monitor, first, _ => Training.Regression(16, 8), steps: 3);

        // As when a checkpoint is loaded into new tensors: TorchSharp disposes the replaced parameter.
        var hidden = (Linear)model[2];
        hidden.weight = new Parameter(randn(16, 16).mul(0.1));
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2).WithMonitor(monitor);
        double expected = 0;
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            expected = System.Math.Sqrt(hidden.parameters().Sum(p => System.Math.Pow(p.grad!.norm().item<float>(), 2)));
            optimizer.step();
        }

        Assert.Equal(expected, optimizer.LastReport!.Layers.Single(l => l.Name == "2").GradientNorm, 5);
        Assert.Equal(6, monitor.Step);
    }

    [Fact]
    public void A_head_added_after_attach_is_watched_and_its_NaN_step_is_skipped()
    {
        torch.manual_seed(72);
        using var model = new GrowingMlp(inputs: 8, width: 16);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        var head = model.AddHead(outputs: 1); // fine-tuning: a new head after the monitor was attached
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2).WithMonitor(monitor);

        for (int step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            if (step == 4)
                head.weight.grad![0, 0] = float.NaN;
            optimizer.step();
        }

        Assert.Contains("head", monitor.Layers);
        Assert.Equal(1, monitor.SkippedSteps);
        Assert.True(optimizer.LastReport!.IsChecked);
        Assert.All(model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
        var nonFinite = Assert.Single(monitor.Diagnostics);
        Assert.Equal(new[] { "head" }, nonFinite.Layers);
    }

    [Fact]
    public void Checks_walk_the_module_tree_only_when_the_parameter_set_changed()
    {
        torch.manual_seed(73);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients();
        using var x = randn(4, 4);

        int WalksDuringCheck()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward();
            int before = model.NamedModulesWalks;
            monitor.Check();
            return model.NamedModulesWalks - before;
        }

        Assert.All(Enumerable.Range(0, 20).Select(_ => WalksDuringCheck()), walks => Assert.Equal(0, walks));
        model.AddHead(outputs: 2);
        Assert.True(WalksDuringCheck() > 0);  // the view is rebuilt once...
        Assert.All(Enumerable.Range(0, 20).Select(_ => WalksDuringCheck()), walks => Assert.Equal(0, walks)); // ...and kept
        Assert.Equal(new[] { "body", "head" }, monitor.Layers);
    }
}
