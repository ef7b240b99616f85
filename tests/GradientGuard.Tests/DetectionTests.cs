using System;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class DetectionTests
{
    [Fact]
    public void Deep_sigmoid_mlp_vanishes_toward_the_input_naming_the_early_layers_and_the_sigmoids()
    {
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30);

        var vanishing = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.Vanishing);
        Assert.True(vanishing.Step <= 10, $"raised only at step {vanishing.Step}");
        Assert.Equal(RuleIds.SaturatingActivationStack, vanishing.RuleId);
        Assert.Equal("0", vanishing.Layers[0]);              // the first Linear, nearest the input
        Assert.DoesNotContain("18", vanishing.Layers);        // the output layer still learns
        Assert.Contains("Sigmoid", vanishing.Cause, StringComparison.Ordinal);
        Assert.Contains("'1'", vanishing.Cause, StringComparison.Ordinal); // names the first Sigmoid module
        Assert.True(vanishing.Value < 1e-3, $"depth ratio {vanishing.Value}");
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind != GradientIssueKind.Vanishing);
    }

    [Fact]
    public void Deep_relu_stack_with_tiny_init_is_poor_initialization_at_the_first_check_and_not_reported_again_as_vanishing()
    {
        torch.manual_seed(2);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 8, initStd: 1e-3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.01);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 20);

        // The vanishing that follows (everywhere, from step 5) has the cause the first check already named: one report.
        var poor = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.PoorInitialization, poor.Kind);
        Assert.Equal(IssueSeverity.Warning, poor.Severity);
        Assert.Equal(1, poor.Step);
        Assert.Equal(RuleIds.Initialization, poor.RuleId);
        Assert.Equal(new[] { "0", "2", "4", "6", "8", "10", "12", "14", "16" }, poor.Layers); // every hidden layer, not the output layer '18'
        Assert.Equal(0.577 / 4, poor.Threshold, 3);
        Assert.True(poor.Value < 0.01, $"init scale {poor.Value}");                          // 0.001 · sqrt(32)
        Assert.Contains("ReLU-family activation after it", poor.Cause, StringComparison.Ordinal);
        Assert.Contains("kaiming_normal_", poor.Advice, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_relu_stack_with_tiny_init_still_vanishes_when_poor_initialization_is_not_judged()
    {
        torch.manual_seed(2);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 1 }); // the shrunk weights' norms at once
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.01);

        // The first check judges TorchSharp's default init (suited); the weights shrink to std 1e-3 only after it, so no
        // poor-initialization diagnostic explains the vanishing that follows, and the vanishing is reported on its own.
        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 1);
        using (no_grad())
        {
            foreach (var linear in model.children().OfType<Linear>())
                linear.weight.normal_(0, 1e-3);
        }
        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 19);

        var vanishing = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.Vanishing, vanishing.Kind);
        Assert.Equal(RuleIds.Initialization, vanishing.RuleId);
        Assert.True(vanishing.Layers.Count >= 6, string.Join(", ", vanishing.Layers)); // most of the stack together
        Assert.DoesNotContain("18", vanishing.Layers);                                 // but not the output layer
        Assert.Contains("initialized at about", vanishing.Cause, StringComparison.Ordinal);
        Assert.Contains("kaiming_normal_", vanishing.Advice, StringComparison.Ordinal);
        Assert.Equal(6, vanishing.Step); // 5 checks of the shrunk stack, from step 2
    }

    [Fact]
    public void Large_initialization_explodes_at_the_first_step_above_the_absolute_bound()
    {
        torch.manual_seed(3);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 4, initStd: 1.0);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 3);

        var exploding = monitor.Diagnostics[0];
        Assert.Equal(GradientIssueKind.Exploding, exploding.Kind);
        Assert.Equal(1, exploding.Step);
        Assert.Equal(reports[0].GlobalNorm, exploding.Value);
        Assert.Equal(1e4, exploding.Threshold);
        Assert.Equal(RuleIds.StepWithoutGradientClipping, exploding.RuleId);
        Assert.Contains("clip_grad_norm_", exploding.Advice, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_rnn_with_a_large_learning_rate_explodes_before_any_NaN_and_points_at_GRU()
    {
        torch.manual_seed(4);
        using var model = new SequenceRegressor(inputs: 4, hidden: 32, plainRnn: true, recurrentScale: 3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.5);

        Training.Run(model, monitor, optimizer, _ => Training.Sequences(32, 50, 4), steps: 60);

        var exploding = monitor.Diagnostics.First(d => d.Kind == GradientIssueKind.Exploding);
        var firstNonFinite = monitor.Diagnostics.FirstOrDefault(d => d.Kind == GradientIssueKind.NonFinite);
        Assert.True(firstNonFinite is null || exploding.Step <= firstNonFinite.Step);
        Assert.Equal(RuleIds.PlainRnn, exploding.RuleId);
        Assert.Contains("GRU", exploding.Advice, StringComparison.Ordinal);
        Assert.Contains("'rnn'", exploding.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sudden_jump_in_one_layer_after_warmup_is_raised_once()
    {
        torch.manual_seed(5);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 40, afterBackward: step =>
        {
            if (step >= 30)
            {
                using var grad = ((TorchSharp.Modules.Linear)model[2]).weight.grad!;
                grad.mul_(1e3);
            }
        });

        var exploding = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.Exploding, exploding.Kind);
        Assert.Equal(31, exploding.Step);
        Assert.Equal(new[] { "2" }, exploding.Layers);
    }

    [Fact]
    public void Injected_NaN_is_reported_at_that_step_naming_the_layer()
    {
        torch.manual_seed(6);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 12, afterBackward: step =>
        {
            if (step == 9)
            {
                using var grad = ((TorchSharp.Modules.Linear)model[2]).weight.grad!;
                grad[0, 0] = float.NaN;
                grad[1, 1] = float.PositiveInfinity;
            }
        });

        // Without the skip action the poisoned step reaches the weights, so every later step is NaN too:
        // one diagnostic for the episode, at the step it began.
        var nonFinite = Assert.Single(monitor.Diagnostics);
        Assert.True(reports[11].HasNonFinite);
        Assert.Equal(10, nonFinite.Step);
        Assert.Equal(new[] { "2" }, nonFinite.Layers);
        Assert.Equal(2, nonFinite.Value);
        Assert.Equal(2, reports[9].Layers.Single(l => l.Name == "2").NonFiniteCount);
        Assert.True(reports[9].HasNonFinite);
    }

    [Fact]
    public void A_NaN_loss_is_reported_even_when_the_gradients_are_finite()
    {
        torch.manual_seed(7);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var x = randn(8, 8);
        model.call(x).sum().backward();

        using var loss = tensor(float.NaN);
        var report = monitor.Check(loss);

        var diagnostic = Assert.Single(report.Diagnostics);
        Assert.Equal(GradientIssueKind.NonFinite, diagnostic.Kind);
        Assert.Contains("loss is NaN", diagnostic.Cause, StringComparison.Ordinal);
        Assert.Empty(diagnostic.Layers);
    }
}
