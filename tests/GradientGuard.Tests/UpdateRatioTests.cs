using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Measurement;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// The update-to-weight ratio ‖ΔW‖/‖W‖ per layer: measured from the optimizer's actual step when it is wrapped with
/// WithMonitor, from the change between two checks otherwise; UpdateTooLarge and UpdateTooSmall on real runs, and the
/// healthy runs that must stay silent (warm-up, decaying schedules, fine-tuning, frozen layers, embeddings, skipped steps).
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class UpdateRatioTests
{
    private static GradientMonitorOptions EveryCheck() => new() { UpdateRatioEvery = 1, WeightNormEvery = 1 };

    // Measuring must never touch the weights: the samples copy the values they compare (one parameter alone, whose
    // joined copy would otherwise be the parameter itself, or many), and the monitored run trains exactly as a plain one.
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Sampling_updates_leaves_training_bit_for_bit_the_same(bool onlyTheOutputBias, bool wrapped)
    {
        var plain = TrainTwelveSteps(onlyTheOutputBias, wrapped, monitored: false);
        var monitored = TrainTwelveSteps(onlyTheOutputBias, wrapped, monitored: true);

        Assert.Equal(plain.Count, monitored.Count);
        for (int i = 0; i < plain.Count; i++)
            Assert.Equal(plain[i], monitored[i]);
    }

    private static List<float[]> TrainTwelveSteps(bool onlyTheOutputBias, bool wrapped, bool monitored)
    {
        torch.manual_seed(31);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        var trained = model.parameters().ToArray();
        if (onlyTheOutputBias)
        {
            foreach (var parameter in trained)
                parameter.requires_grad = false;
            var head = (Linear)model[model.Count - 1];
            head.bias!.requires_grad = true;
            trained = new[] { (Parameter)head.bias! };
        }
        using var monitor = monitored ? model.MonitorGradients(EveryCheck()) : null;
        using var sgd = optim.SGD(trained, learningRate: 0.05);
        using var optimizer = monitored && wrapped ? sgd.WithMonitor(monitor!) : null;
        optim.Optimizer stepper = (optim.Optimizer?)optimizer ?? sgd;
        for (int step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(32, 8);
            stepper.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (monitored && !wrapped)
                monitor!.Check(loss);
            stepper.step();
        }
        if (monitored)
            Assert.Contains(monitor!.LastSnapshot!.Updates, u => u.Moved); // the samples ran
        return model.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToList();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_plain_sgd_step_measures_lr_times_gradient_norm_over_weight_norm(bool wrapped)
    {
        torch.manual_seed(21);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(EveryCheck());
        using var sgd = optim.SGD(model.parameters(), learningRate: 0.05);
        using var optimizer = wrapped ? sgd.WithMonitor(monitor) : null;
        var reports = Run(model, monitor, (optim.Optimizer?)optimizer ?? sgd, check: !wrapped, steps: 4);

        // Step 1 is never sampled; the update of step k (k >= 2) is read at check k + 1.
        for (int k = 2; k < 4; k++)
        {
            var readings = reports[k].Updates;
            Assert.Equal(model.named_children().Count(c => c.module is Linear), readings.Count);
            foreach (var reading in readings)
            {
                var layer = reports[k - 1].Report.Layers.Single(l => l.Name == reading.Layer);
                Assert.Equal(wrapped, reading.ActualStep);
                Assert.Equal(0.05 * layer.GradientNorm, reading.UpdateNorm, 0.05 * layer.GradientNorm * 1e-4);
                Assert.Equal(layer.WeightNorm, reading.WeightNorm, layer.WeightNorm * 1e-6);
                Assert.Equal(wrapped ? 0.05 : null, reading.LearningRate);
            }
        }
    }

    // The joined copy's layout is built once and reused while the same layers move; a layer that does not move at one
    // sample (its gradient zeroed) changes the choice, and the next sample goes back to the first. Each must still measure
    // exactly lr x the gradient norm of the layers it took, and leave out the one that did not move.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_layer_that_stops_and_resumes_moving_between_samples_is_measured_only_while_it_moves(bool wrapped)
    {
        torch.manual_seed(23);
        using var model = Models.ReluMlp(inputs: 8, width: 512, hiddenLayers: 1); // a large layer too: its positions are sampled
        using var monitor = model.MonitorGradients(EveryCheck());
        using var sgd = optim.SGD(model.parameters(), learningRate: 0.01);
        using var optimizer = wrapped ? sgd.WithMonitor(monitor) : null;
        var stepper = (optim.Optimizer?)optimizer ?? sgd;
        var first = (Linear)model.named_children().First().module;
        var name = model.named_children().First().name;
        var checks = new List<Checked>();
        for (int step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(32, 8);
            stepper.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (step == 3)
            {
                first.weight.grad!.zero_(); // the first layer does not move at this step
                first.bias!.grad!.zero_();
            }
            if (!wrapped)
                monitor.Check(loss);
            stepper.step();
            var report = optimizer is not null ? optimizer.LastReport! : monitor.LastReport!;
            checks.Add(new Checked(report, monitor.LastSnapshot!.Updates));
        }

        int linears = model.named_children().Count(c => c.module is Linear);
        var large = model.named_parameters().Where(p => p.parameter.numel() > 2 * WeightUpdates.SampleSize).Select(p => p.name.Split('.')[0]).ToHashSet();
        Assert.NotEmpty(large);
        // The update of step k (counted from 0; step 0 is never sampled) is read at the check of step k + 1.
        for (int k = 2; k < 5; k++)
        {
            var readings = checks[k + 1].Updates;
            Assert.Equal(k == 3 ? linears - 1 : linears, readings.Count);
            Assert.Equal(k != 3, readings.Any(r => r.Layer == name));
            foreach (var reading in readings)
            {
                var layer = checks[k].Report.Layers.Single(l => l.Name == reading.Layer);
                double tolerance = large.Contains(reading.Layer) ? 0.15 : 1e-4; // a large layer's change is estimated from its sample
                Assert.True(Math.Abs(0.01 * layer.GradientNorm - reading.UpdateNorm) <= 0.01 * layer.GradientNorm * tolerance, $"step {k} {reading.Layer}: {reading.UpdateNorm} against {0.01 * layer.GradientNorm}");
            }
        }
    }

    // Layers of more than 2 x WeightUpdates.SampleSize values are compared at a fixed random sample of positions: the
    // estimate of ‖ΔW‖ must still be plain SGD's lr x ‖g‖ (exact here: the change is lr x g), to within 15 % (7 % here: a
    // ReLU layer's gradient is uneven, with rows of dead units at zero; the sample alone, unscaled, would be 8 times too small).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_large_layer_s_update_is_estimated_from_a_sample_within_15_percent(bool wrapped)
    {
        torch.manual_seed(22);
        using var model = Models.ReluMlp(inputs: 8, width: 512, hiddenLayers: 1); // hidden 512x512: 262,144 weights
        using var monitor = model.MonitorGradients(EveryCheck());
        using var sgd = optim.SGD(model.parameters(), learningRate: 0.05);
        using var optimizer = wrapped ? sgd.WithMonitor(monitor) : null;
        var reports = Run(model, monitor, (optim.Optimizer?)optimizer ?? sgd, check: !wrapped, steps: 4);

        var large = model.named_parameters().Where(p => p.parameter.numel() > 2 * WeightUpdates.SampleSize).Select(p => p.name.Split('.')[0]).ToHashSet();
        Assert.NotEmpty(large);
        for (int k = 2; k < 4; k++)
        {
            foreach (var reading in reports[k].Updates.Where(r => large.Contains(r.Layer)))
            {
                var layer = reports[k - 1].Report.Layers.Single(l => l.Name == reading.Layer);
                Assert.Equal(0.05 * layer.GradientNorm, reading.UpdateNorm, 0.05 * layer.GradientNorm * 0.15);
            }
        }
    }

    [Fact]
    public void Sgd_at_a_huge_learning_rate_raises_update_too_large_from_the_actual_step()
    {
        torch.manual_seed(22);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        // Clipping keeps the run finite, so the oversized steps are the only trouble.
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { UpdateRatioEvery = 1, ClipMaxNorm = 1 });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 30).WithMonitor(monitor);
        Run(model, monitor, optimizer, check: false, steps: 12);

        var large = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.UpdateTooLarge);
        Assert.True(large.Value > 0.5, large.ToString());
        Assert.NotEmpty(large.Layers);
        Assert.Contains("the optimizer's step", large.Cause);
        Assert.Contains("learning rate 30", large.Cause);
        Assert.Equal(RuleIds.StepWithoutGradientClipping, large.RuleId);
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind is GradientIssueKind.NonFinite or GradientIssueKind.UpdateTooSmall);
    }

    [Fact]
    public void A_learning_rate_below_float32_precision_raises_update_too_small_with_the_wrapper()
    {
        torch.manual_seed(23);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("bias", StringComparison.Ordinal)))
                p.fill_(0.1); // no weight is zero: a step of 1e-20 cannot move any float32 weight
        }
        using var monitor = model.MonitorGradients(EveryCheck());
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-20).WithMonitor(monitor);
        Run(model, monitor, optimizer, check: false, steps: 8);

        var small = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.UpdateTooSmall);
        Assert.Equal(0, small.Value); // not one weight moved
        Assert.Contains("below the float precision", small.Cause);
        Assert.Contains("learning rate 1E-20", small.Cause);
    }

    [Fact]
    public void A_tiny_learning_rate_raises_update_too_small_between_checks_in_float64()
    {
        torch.manual_seed(24);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        model.to(ScalarType.Float64);
        using var monitor = model.MonitorGradients(EveryCheck());
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-11);
        Run(model, monitor, optimizer, check: true, steps: 8, dtype: ScalarType.Float64);

        var small = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.UpdateTooSmall);
        Assert.InRange(small.Value, 1e-14, 1e-10);
        Assert.Contains("the run barely learns", small.Cause);
    }

    [Fact]
    public void Adam_with_a_linear_warm_up_from_almost_zero_raises_no_update_diagnostic()
    {
        var (monitor, updates) = Healthy(steps: 40, (optimizer, step) => SetLearningRate(optimizer, 1e-3 * (step + 1) / 40.0), adam: true);
        AssertSilentAndMeasured(monitor, updates);
    }

    [Fact]
    public void An_exponential_schedule_decaying_to_a_tiny_learning_rate_raises_no_update_diagnostic()
    {
        var (monitor, updates) = Healthy(steps: 40, (optimizer, step) => SetLearningRate(optimizer, 1e-2 * Math.Pow(0.5, step)), adam: false);
        AssertSilentAndMeasured(monitor, updates);
        Assert.True(updates[^1].Max(u => u.Ratio) < 1e-10, "the schedule did reach updates far below the bound");
    }

    [Fact]
    public void Fine_tuning_a_head_with_the_backbone_frozen_or_left_out_of_the_optimizer_raises_no_update_diagnostic()
    {
        torch.manual_seed(25);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        var head = (Linear)model[6];
        ((Linear)model[0]).weight.requires_grad = false; // frozen: no gradient
        ((Linear)model[0]).bias!.requires_grad = false;
        using var monitor = model.MonitorGradients(EveryCheck());
        // Layers 2 and 4 keep requires_grad, so they get gradients, but the optimizer steps only the head.
        using var optimizer = optim.Adam(head.parameters(), lr: 1e-4).WithMonitor(monitor);
        var updates = Run(model, monitor, optimizer, check: false, steps: 20).Select(r => r.Updates).Where(u => u.Count > 0).ToList();

        AssertSilentAndMeasured(monitor, updates);
        Assert.All(updates, u => Assert.Equal(new[] { "6" }, u.Select(r => r.Layer)));
    }

    [Fact]
    public void Embeddings_and_skipped_non_finite_steps_raise_no_update_diagnostic()
    {
        torch.manual_seed(26);
        using var model = nn.Sequential(("embedding", nn.Embedding(1000, 16)), ("flatten", nn.Flatten()), ("head", nn.Linear(64, 1)));
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { UpdateRatioEvery = 1, SkipNonFiniteSteps = true });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.05).WithMonitor(monitor);
        var updates = new List<IReadOnlyList<UpdateReading>>();
        for (int step = 0; step < 20; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var tokens = randint(0, 1000, new long[] { 8, 4 });
            var loss = model.call(tokens).pow(2).mean();
            loss.backward();
            if (step % 3 == 0)
                ((Linear)model[2]).weight.grad![0, 0] = float.NaN; // the step is skipped
            optimizer.step();
            updates.Add(monitor.LastSnapshot!.Updates);
        }

        Assert.All(monitor.Diagnostics, d => Assert.Equal(GradientIssueKind.NonFinite, d.Kind));
        Assert.Contains(updates, u => u.Count > 0);
        Assert.All(updates.SelectMany(u => u), r => Assert.True(double.IsFinite(r.Ratio) && r.Ratio < 1, $"{r}"));
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void The_change_between_checks_is_measured_over_the_dtype_range(ScalarType dtype)
    {
        torch.manual_seed(27);
        using var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
        model.to(dtype);
        using var monitor = model.MonitorGradients(EveryCheck());
        var hidden = (Linear)model[0];
        foreach (var p in model.parameters())
        {
            using var scope = NewDisposeScope();
            p.grad = ones_like(p);
        }
        if (dtype == ScalarType.Float64)
        {
            using var noGrad = no_grad();
            hidden.weight.mul_(1e-200); // squares of these underflow even in float64
            hidden.bias!.mul_(1e-200);
        }
        monitor.Check();
        monitor.Check(); // sampled: the weights are kept
        Tensor before, after;
        using (no_grad())
        {
            before = hidden.weight.detach().clone().to_type(ScalarType.Float64);
            hidden.weight.add_(ones_like(hidden.weight).mul(dtype == ScalarType.Float64 ? 1e-201 : 0.25));
            after = hidden.weight.detach().to_type(ScalarType.Float64);
        }
        monitor.Check();

        var reading = monitor.LastSnapshot!.Updates.Single(u => u.Layer == "0");
        // Scaled by hand, so that the expectation itself does not underflow in float64.
        double scale = dtype == ScalarType.Float64 ? 1e200 : 1;
        double expected = after.sub(before).mul(scale).norm().item<double>() / scale;
        double weight = Math.Sqrt(Math.Pow(before.mul(scale).norm().item<double>(), 2) + Math.Pow(hidden.bias!.detach().to_type(ScalarType.Float64).mul(scale).norm().item<double>(), 2)) / scale;
        Assert.True(expected > 0);
        // Accumulated in float32 for half types (float64 for float64): exact to float32's rounding.
        Assert.Equal(expected, reading.UpdateNorm, expected * (dtype == ScalarType.Float64 ? 1e-12 : 1e-6));
        Assert.Equal(weight, reading.WeightNorm, weight * (dtype == ScalarType.Float64 ? 1e-12 : 1e-6)); // the check's own weight norm
        Assert.Equal(0, monitor.LastSnapshot.Updates.Single(u => u.Layer == "2").UpdateNorm);
        before.Dispose();
        after.Dispose();
    }

    [Fact]
    public void A_parameter_replaced_while_its_copy_is_kept_is_not_compared_and_leaks_nothing()
    {
        torch.manual_seed(28);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(EveryCheck());
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.01);
        Run(model, monitor, optimizer, check: true, steps: 3); // the last check kept a copy
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        var first = (Linear)model[0];
        first.weight = new Parameter(randn(16, 8)); // the setter disposes the old parameter
        using var fresh = optim.SGD(model.parameters(), learningRate: 0.01);
        var reports = Run(model, monitor, fresh, check: true, steps: 1);

        Assert.Empty(reports[0].Updates);
        Assert.Empty(monitor.Diagnostics);
        // The new parameter is the only new tensor (and the kept copies of this check replace those freed).
        Assert.InRange(DisposeScopeManager.Statistics.ThreadTotalLiveCount - live, 0, 1);
    }

    private static void SetLearningRate(optim.Optimizer optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = rate;
    }

    private static (GradientMonitor Monitor, List<IReadOnlyList<UpdateReading>> Updates) Healthy(int steps, Action<optim.Optimizer, int> schedule, bool adam)
    {
        torch.manual_seed(29);
        var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        var monitor = model.MonitorGradients(EveryCheck());
        var inner = adam ? optim.Adam(model.parameters(), lr: 1e-3) : (optim.Optimizer)optim.SGD(model.parameters(), learningRate: 1e-2, momentum: 0.9);
        var optimizer = inner.WithMonitor(monitor);
        var updates = Run(model, monitor, optimizer, check: false, steps: steps, schedule: step => schedule(optimizer, step))
            .Select(r => r.Updates).Where(u => u.Count > 0).ToList();
        return (monitor, updates);
    }

    private static void AssertSilentAndMeasured(GradientMonitor monitor, List<IReadOnlyList<UpdateReading>> updates)
    {
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind is GradientIssueKind.UpdateTooLarge or GradientIssueKind.UpdateTooSmall);
        Assert.True(updates.Count >= 10, $"{updates.Count} update samples");
    }

    private sealed record Checked(GradientReport Report, IReadOnlyList<UpdateReading> Updates);

    // A regression loop; check: call monitor.Check(loss) before step() (an unwrapped optimizer), else the wrapper checks.
    [Theory]
    [InlineData(true, "keep")]
    [InlineData(true, "measure")]
    [InlineData(false, "keep")]
    [InlineData(false, "measure")]
    public void A_failing_update_measurement_stops_sampling_frees_its_copies_and_training_goes_on(bool wrapped, string failingPart)
    {
        // The run with sampling that fails at its first keep (or first measure) against the same run never sampling.
        var (failing, failingLive, error, losses) = TrainWithUpdateSampling(wrapped, failingPart);
        var (never, neverLive, _, neverLosses) = TrainWithUpdateSampling(wrapped, failingPart: null, sampling: false);

        Assert.IsType<InvalidOperationException>(error);
        Assert.Equal("measurement failed", error!.Message);
        Assert.Equal(12, failing.Count);                              // every step checked, none lost
        // No sampling after the failure: failing at the first keep, no reading ever; failing right after the first measure
        // (the fault comes after the part's work), that one reading, of step 2, is read at check 3 and none after it.
        int readAt = failingPart == "keep" ? -1 : 2;
        Assert.All(failing.Where((_, i) => i != readAt), c => Assert.Empty(c.Updates));
        if (readAt >= 0)
            Assert.NotEmpty(failing[readAt].Updates);
        Assert.Equal(neverLive, failingLive);                         // the copies made before the failure were freed
        Assert.Equal(neverLosses, losses);                            // the steps were the same steps
        Assert.True(losses[^1] < losses[0], "training went on and learned");
    }

    private static (List<Checked> Checks, long Live, Exception? Error, List<float> Losses) TrainWithUpdateSampling(bool wrapped, string? failingPart, bool sampling = true)
    {
        torch.manual_seed(24);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(sampling ? EveryCheck() : new GradientMonitorOptions { UpdateRatioEvery = 1000, WeightNormEvery = 1 });
        int parts = 0;
        // Parts run keep, measure, keep, ...: the first is a keep, the second a measure.
        monitor.UpdateSamplingFault = () =>
        {
            if (++parts == (failingPart == "keep" ? 1 : 2))
                throw new InvalidOperationException("measurement failed");
        };
        using var sgd = optim.SGD(model.parameters(), learningRate: 0.05);
        using var optimizer = wrapped ? sgd.WithMonitor(monitor) : null;
        var losses = new List<float>();
        var checks = new List<Checked>();
        for (int step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(32, 8);
            ((optim.Optimizer?)optimizer ?? sgd).zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (!wrapped)
                monitor.Check(loss);
            ((optim.Optimizer?)optimizer ?? sgd).step();
            losses.Add(loss.item<float>());
            checks.Add(new Checked(monitor.LastReport!, monitor.LastSnapshot!.Updates));
        }
        return (checks, DisposeScopeManager.Statistics.ThreadTotalLiveCount, monitor.UpdateSamplingError, losses);
    }

    private static List<Checked> Run(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, optim.Optimizer optimizer, bool check, int steps,
        ScalarType dtype = ScalarType.Float32, Action<int>? schedule = null)
    {
        var result = new List<Checked>();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            schedule?.Invoke(step);
            var (x, y) = Training.Regression(32, (int)((Linear)model.named_children().First().module).in_features);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x.to_type(dtype)), y.to_type(dtype));
            loss.backward();
            if (check)
                monitor.Check(loss);
            optimizer.step();
            var report = optimizer is GuardedOptimizer guarded ? guarded.LastReport! : monitor.LastReport!;
            result.Add(new Checked(report, monitor.LastSnapshot!.Updates));
        }
        return result;
    }
}
