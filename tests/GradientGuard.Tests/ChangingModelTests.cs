using System.Collections.Generic;
using System.Linq;
using GradientGuard.Probing;
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
    [Fact]
    public void Steady_state_checks_walk_the_parameter_dictionaries_only_at_weight_norm_refreshes()
    {
        torch.manual_seed(74);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 10 });
        using var x = randn(4, 4);

        var walking = new List<int>();
        for (int check = 1; check <= 30; check++)
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward();
            int before = model.NamedParametersWalks;
            monitor.Check();
            if (model.NamedParametersWalks != before)
                walking.Add(check);
        }

        Assert.Equal(new[] { 1, 11, 21 }, walking);
    }

    [Fact]
    public void A_parameter_registered_on_an_existing_module_is_watched_after_Refresh_or_at_the_next_weight_norm_refresh()
    {
        torch.manual_seed(75);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 10 });
        using var x = randn(4, 4);
        GradientReport Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward();
            return monitor.Check();
        }

        Step();
        model.AddScale(); // no module added, no parameter disposed: invisible to the per-check test
        Assert.DoesNotContain(LayerGradient.RootName, Step().Layers.Select(l => l.Name));
        monitor.Refresh();
        Assert.Contains(LayerGradient.RootName, Step().Layers.Select(l => l.Name));

        using var other = new GrowingMlp(inputs: 4, width: 8);
        using var second = other.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 10 });
        var reports = new List<GradientReport>();
        for (int check = 1; check <= 11; check++)
        {
            if (check == 2)
                other.AddScale();
            using var scope = NewDisposeScope();
            other.zero_grad();
            other.call(x).sum().backward();
            reports.Add(second.Check());
        }
        Assert.DoesNotContain(LayerGradient.RootName, reports[9].Layers.Select(l => l.Name));  // check 10
        Assert.Contains(LayerGradient.RootName, reports[10].Layers.Select(l => l.Name));       // check 11 refreshes the weight norms
    }

    // How many checks a probe reading describes the model for, with the default options.
    private static readonly int ProbeMaxAge = ActivationProbe.MaxAgeFor(new GradientMonitorOptions().ProbeEvery);

    [Fact]
    public void A_head_added_between_backward_and_check_keeps_the_activation_readings_of_that_step()
    {
        torch.manual_seed(76);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients();
        using var x = randn(4, 4);
        for (int check = 0; check < 2 * ProbeMaxAge; check++)
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward();
            if (check == ProbeMaxAge)
                model.AddHead(outputs: 1); // the parameter set changes: the view is rebuilt at this check
            monitor.Check();

            var snapshot = monitor.LastSnapshot!;
            Assert.Equal("act", Assert.Single(snapshot.Activations).Name);
            Assert.False(snapshot.ProbeSawNoForwardPass, $"check {check + 1}");
        }
        Assert.Contains("head", monitor.Layers);
    }

    [Fact]
    public void A_probe_says_it_saw_no_forward_pass_only_once_it_has_lived_its_max_age_in_checks()
    {
        torch.manual_seed(77);
        using var model = new ForwardCallingSigmoidMlp(inputs: 4, width: 8, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var x = randn(4, 4);
        var said = new List<bool>();
        for (int check = 1; check <= ProbeMaxAge + 1; check++)
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward(); // forward(): no hook fires
            monitor.Check();
            said.Add(monitor.LastSnapshot!.ProbeSawNoForwardPass);
        }

        Assert.Equal(Enumerable.Range(1, ProbeMaxAge + 1).Select(c => c >= ProbeMaxAge), said);
    }

    [Fact]
    public void A_rebuild_that_adds_an_activation_leaves_no_native_tensor_and_no_stale_hook_behind()
    {
        torch.manual_seed(78);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ProbeEvery = 1 }); // the hooks record at every step
        using var x = randn(4, 4);
        void Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.call(x).sum().backward();
            monitor.Check();
        }

        Step();
        Assert.Equal(1, monitor.ProbedActivations);
        model.AddGatedHead(outputs: 1);
        Step(); // rebuilds the view and the probe (a new Sigmoid)
        Assert.Equal(2, monitor.ProbedActivations);
        Step();

        long recordings = ActivationProbe.Recordings;
        using (NewDisposeScope())
            model.call(x);
        Assert.Equal(2, ActivationProbe.Recordings - recordings); // one per watched activation: the old probe's hooks are gone

        Step(); // takes those readings: a check hands each reading over and keeps none
        for (int i = 0; i < new GradientMonitorOptions().UpdateRatioEvery; i++)
            Step(); // past the first update sample: the layout the samples reuse for the run exists
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
            Step();
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
