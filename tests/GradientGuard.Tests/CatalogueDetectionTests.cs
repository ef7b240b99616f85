using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// The training-health kinds judged on the host (stalled and oscillating loss, saturation, poor initialization), each
/// caught on real training with its layers, numbers, severity and rule, and each with the near miss that must stay quiet.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class CatalogueDetectionTests
{
    [Fact]
    public void A_learning_rate_far_too_low_stalls_the_loss_at_its_start()
    {
        torch.manual_seed(31);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-6);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 260);

        var stalled = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.LossStalled, stalled.Kind);
        Assert.Equal(IssueSeverity.Warning, stalled.Severity);
        Assert.InRange(stalled.Step, 200, 260); // a whole window of 200 checks first
        Assert.Empty(stalled.Layers);          // the loss is the whole model's
        Assert.Equal(0.75, stalled.Threshold);
        Assert.InRange(stalled.Value, 0.75, 1.25);
        Assert.Equal(RuleIds.Initialization, stalled.RuleId);
        Assert.Contains("learning rate", stalled.Advice, StringComparison.Ordinal);
        Assert.Contains("has not fallen 5 %", stalled.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plateau_after_real_progress_is_not_a_stall_but_the_same_plateau_without_progress_is()
    {
        // Only the output bias learns: the loss falls by the targets' offset, then stays flat for good.
        Assert.Empty(TrainOnlyTheOutputBias(offset: 2, seed: 32));

        var stalled = Assert.Single(TrainOnlyTheOutputBias(offset: 0, seed: 32));
        Assert.Equal(GradientIssueKind.LossStalled, stalled.Kind);
    }

    [Fact]
    public void Adam_with_a_learning_rate_far_too_high_oscillates()
    {
        torch.manual_seed(11);
        using var model = Models.ReluMlp(inputs: 32, width: 64, hiddenLayers: 3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 32), steps: 80);

        var oscillating = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.LossOscillating);
        Assert.Equal(IssueSeverity.Warning, oscillating.Severity);
        Assert.Equal(50, oscillating.Step); // the first full window
        Assert.Empty(oscillating.Layers);
        Assert.Equal(10, oscillating.Threshold);
        Assert.True(oscillating.Value >= 10, $"swing {oscillating.Value}");
        Assert.Equal(RuleIds.StepWithoutGradientClipping, oscillating.RuleId);
        Assert.Contains("lower the learning rate", oscillating.Advice, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loss_that_oscillates_around_its_start_is_not_called_stalled_too()
    {
        torch.manual_seed(11);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();

        // A loss that jumps between 1 and 0.04 with no trend for more than a stall window (its median stays at its start):
        // "raise the learning rate" would contradict the oscillation's "lower it". Real gradients, the loss values given.
        for (int step = 0; step < 240; step++)
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            var (x, y) = Training.Regression(16, 8);
            nn.functional.mse_loss(model.call(x), y).backward();
            monitor.Check(tensor(step % 2 == 0 ? 1.0 : 0.04));
        }

        Assert.Contains(monitor.Diagnostics, d => d.Kind == GradientIssueKind.LossOscillating);
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.LossStalled);
    }

    [Fact]
    public void Adam_with_a_learning_rate_ten_times_lower_does_not_oscillate()
    {
        torch.manual_seed(11);
        using var model = Models.ReluMlp(inputs: 32, width: 64, hiddenLayers: 3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.03);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 32), steps: 120);

        // The loss falls steadily. Its ReLU units do die at this rate (55-86 % of each hidden layer, checked on fresh
        // inputs), which DeadUnits reports; that is another problem, with another report.
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.LossOscillating);
        Assert.Contains(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
    }

    [Fact]
    public void Unnormalized_inputs_saturate_the_first_tanh_naming_the_layer_before_it()
    {
        var (diagnostics, _) = TrainTanhNet(inputScale: 10, steps: 20);
        var saturation = diagnostics[0];
        Assert.Equal(GradientIssueKind.Saturation, saturation.Kind);
        Assert.Equal(IssueSeverity.Warning, saturation.Severity);
        var defaults = new GradientMonitorOptions();
        Assert.Equal(1 + (defaults.SaturationWindow - 1) * defaults.ProbeEvery, saturation.Step); // a whole window of readings, one every ProbeEvery checks
        Assert.Equal(new[] { "0" }, saturation.Layers);        // the Linear before Tanh '1'; Tanh '3' is fine
        Assert.Equal(0.5, saturation.Threshold);
        Assert.True(saturation.Value >= 0.5, $"saturated share {saturation.Value}");
        Assert.Equal(RuleIds.SaturatingActivationStack, saturation.RuleId);
        Assert.Contains("Tanh '1' after layer '0'", saturation.Cause, StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostics, d => d.Kind == GradientIssueKind.Saturation && d != saturation);
    }

    [Fact]
    public void Inputs_scaled_three_times_saturate_a_minority_of_units_and_raise_nothing()
    {
        var (diagnostics, saturated) = TrainTanhNet(inputScale: 3, steps: 30);
        Assert.Empty(diagnostics);
        Assert.InRange(saturated, 0.05, 0.5); // some saturation, below the threshold
    }

    [Fact]
    public void Without_the_probe_saturation_is_not_measured_and_not_raised()
    {
        var (diagnostics, _) = TrainTanhNet(inputScale: 10, steps: 20, new GradientMonitorOptions { ProbeActivations = false });
        Assert.DoesNotContain(diagnostics, d => d.Kind == GradientIssueKind.Saturation);
    }

    [Fact]
    public void Saturation_caused_by_poor_initialization_is_reported_once_as_poor_initialization()
    {
        torch.manual_seed(33);
        using var model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1));
        using (no_grad())
        {
            nn.init.normal_(((Linear)model[0]).weight, 0, 1);
            nn.init.normal_(((Linear)model[2]).weight, 0, 1);
        }
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 64), steps: 20);

        var poor = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.PoorInitialization, poor.Kind);
        Assert.Equal(1, poor.Step);
        Assert.Equal(new[] { "0", "2" }, poor.Layers);
        Assert.Equal(5.0 / 3 * 4, poor.Threshold, 6); // above Xavier's gain for Tanh, four times
        Assert.Contains("Tanh after it", poor.Cause, StringComparison.Ordinal);
        Assert.Contains("xavier_uniform_", poor.Advice, StringComparison.Ordinal);
        Assert.True(monitor.LastSnapshot!.Activations.All(a => a.SaturatedFraction > 0.5), "the tanh units are saturated, and that is the init's doing");
    }

    [Fact]
    public void A_large_init_on_a_relu_stack_is_poor_initialization_beside_the_explosion()
    {
        torch.manual_seed(3);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 4, initStd: 1.0);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 3);

        var poor = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.PoorInitialization);
        Assert.Equal(1, poor.Step);
        // RMS·sqrt(fan_in) is about 8 for the 64-wide layers, above 4 × He's 1.41; the first layer's 4 (fan-in 16) is within.
        Assert.Equal(new[] { "2", "4", "6", "8" }, poor.Layers);
        Assert.Equal(Math.Sqrt(2) * 4, poor.Threshold, 6);
        Assert.InRange(poor.Value, 7, 9);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_large_pretrained_like_layer_is_poor_initialization_only_without_the_batchnorm_after_it(bool normalized)
    {
        torch.manual_seed(36);
        var wide = nn.Linear(32, 64);
        using (no_grad())
        {
            nn.init.kaiming_normal_(wide.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
            wide.weight.mul_(10); // RMS·sqrt(fan_in) about 14, ten times He's 1.41 for the ReLU after it
        }
        var layers = new List<nn.Module<Tensor, Tensor>> { wide };
        if (normalized)
            layers.Add(nn.BatchNorm1d(64)); // rescales the layer's output, whatever its weights' scale
        layers.AddRange(new nn.Module<Tensor, Tensor>[] { nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1) });
        using var model = nn.Sequential(layers);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 32), steps: 5);

        var poor = monitor.Diagnostics.Where(d => d.Kind == GradientIssueKind.PoorInitialization).ToList();
        if (normalized)
            Assert.Empty(poor);
        else
            Assert.Equal(new[] { "0" }, Assert.Single(poor).Layers);
    }

    [Theory]
    [InlineData(0.05)] // RMS·sqrt(fan_in) 0.28: half the default init, still within a factor of 4
    [InlineData(null)] // TorchSharp's default init: never poor
    public void An_init_within_a_factor_of_four_of_the_suited_range_is_not_poor(double? std)
    {
        torch.manual_seed(34);
        using nn.Module<Tensor, Tensor> model = std is double s ? Models.ReluMlp(inputs: 32, width: 32, hiddenLayers: 3, initStd: s) : new FunctionalReluMlp(32, 32, 3, 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 32), steps: 10);

        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.PoorInitialization);
    }

    [Fact]
    public void Two_sigmoid_layers_that_pass_a_few_hundredths_of_the_gradient_are_an_early_sign_once()
    {
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30);

        var early = Assert.Single(monitor.Diagnostics); // once per run, and not yet the 1e-3 alarm
        Assert.Equal(GradientIssueKind.Vanishing, early.Kind);
        Assert.Equal(IssueSeverity.Info, early.Severity);
        Assert.Equal(5, early.Step);
        Assert.Equal("0", early.Layers[0]);
        Assert.DoesNotContain("6", early.Layers); // the output layer
        Assert.Equal(1e-2, early.Threshold);
        Assert.InRange(early.Value, 1e-3, 1e-2);
        Assert.Contains("so it learns about", early.Cause, StringComparison.Ordinal);
        Assert.Equal(RuleIds.SaturatingActivationStack, early.RuleId);
        Assert.StartsWith("Early sign: ", early.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_early_sign_does_not_fail_fast_on_its_kind()
    {
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 2);
        var options = new GradientMonitorOptions();
        options.FailFastOn.Add(GradientIssueKind.Vanishing);
        using var monitor = model.MonitorGradients(options);
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30); // throws on a Vanishing warning

        var early = Assert.Single(monitor.Diagnostics);
        Assert.Equal((GradientIssueKind.Vanishing, IssueSeverity.Info), (early.Kind, early.Severity));
    }

    [Fact]
    public void One_sigmoid_layer_passes_enough_gradient_for_no_early_sign()
    {
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 64, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30);

        Assert.Empty(monitor.Diagnostics);
    }

    [Theory]
    [InlineData(nameof(GradientMonitorOptions.VanishingEarlyRatio), 1e-4)] // must lie above VanishingDepthRatio
    [InlineData(nameof(GradientMonitorOptions.SaturationThreshold), 1.0)]
    [InlineData(nameof(GradientMonitorOptions.SaturationWindow), 0)]
    [InlineData(nameof(GradientMonitorOptions.PoorInitFactor), 1.0)]
    [InlineData(nameof(GradientMonitorOptions.LossStartChecks), 0)]
    [InlineData(nameof(GradientMonitorOptions.LossStallWindow), 3)]
    [InlineData(nameof(GradientMonitorOptions.LossImprovement), double.NaN)]
    [InlineData(nameof(GradientMonitorOptions.LossStallProgress), 0.0)]
    [InlineData(nameof(GradientMonitorOptions.LossStallUpdateRatio), 0.0)]
    [InlineData(nameof(GradientMonitorOptions.LossOscillationWindow), 2)]
    [InlineData(nameof(GradientMonitorOptions.LossSwingFactor), double.PositiveInfinity)]
    [InlineData(nameof(GradientMonitorOptions.LossOscillationLevel), -0.1)]
    public void Invalid_catalogue_options_name_the_option(string option, double value)
    {
        var options = new GradientMonitorOptions();
        var property = typeof(GradientMonitorOptions).GetProperty(option)!;
        property.SetValue(options, property.PropertyType == typeof(int) ? (object)(int)value : value);
        using var model = nn.Linear(2, 2);

        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(model, options));

        Assert.Equal(option, error.ParamName);
        Assert.Contains("GradientMonitorOptions." + option, error.Message, StringComparison.Ordinal);
    }

    private static List<GradientDiagnostic> TrainOnlyTheOutputBias(double offset, int seed)
    {
        torch.manual_seed(seed);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        var head = (Linear)model[model.Count - 1];
        foreach (var parameter in model.parameters())
            parameter.requires_grad = false;
        head.bias!.requires_grad = true;
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(new[] { head.bias! }, lr: 0.05);
        Training.Run(model, monitor, optimizer, _ =>
        {
            var (x, y) = Training.Regression(64, 16);
            return (x, y.add(offset));
        }, steps: 260);
        return monitor.Diagnostics.ToList();
    }

    // A two-hidden-layer Tanh net with default init on inputs scaled by inputScale; returns the monitor and the first
    // Tanh's last saturated share.
    private static (List<GradientDiagnostic> Diagnostics, double Saturated) TrainTanhNet(double inputScale, int steps, GradientMonitorOptions? options = null)
    {
        torch.manual_seed(35);
        using var model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1));
        using var monitor = model.MonitorGradients(options);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        Training.Run(model, monitor, optimizer, _ =>
        {
            var (x, y) = Training.Regression(64, 16);
            return (x.mul(inputScale), y);
        }, steps);
        double saturated = monitor.LastSnapshot!.Activations.FirstOrDefault(a => a.Name == "1")?.SaturatedFraction ?? double.NaN;
        return (monitor.Diagnostics.ToList(), saturated);
    }
}
