using System;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>Where the monitor owes a word: nothing to measure, a repeated check, a loss that is the only non-finite value, a stale probe.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SilenceTests
{
    [Fact]
    public void Checks_before_any_backward_say_once_that_there_is_nothing_to_measure_and_why()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();

        for (int i = 0; i < 5; i++)
            monitor.Check();
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        var measured = monitor.Check();

        var notice = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.NoGradients, notice.Kind);
        Assert.Equal(1, notice.Step);
        Assert.Contains("backward()", notice.Cause, StringComparison.Ordinal);
        Assert.StartsWith("No gradients at step 1", notice.Summary, StringComparison.Ordinal);
        Assert.NotEmpty(measured.Layers);
    }

    [Fact]
    public void A_check_and_a_guarded_step_in_one_training_step_count_one_step_and_one_episode()
    {
        torch.manual_seed(91);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2).WithMonitor(monitor);
        Tensor[]? beforePoison = null;

        for (int step = 0; step < 10; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (step is >= 4 and <= 6)
                ((Linear)model[2]).weight.grad![0, 0] = float.NaN; // three poisoned steps in a row: one episode
            if (step == 4)
                beforePoison = model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
            monitor.Check(loss);  // the loop checks, and the wrapped optimizer would check again
            optimizer.step();
            if (step == 6)
                Assert.All(model.parameters().Zip(beforePoison!), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        }

        Assert.Equal(10, monitor.Step);
        Assert.Equal(3, monitor.SkippedSteps);
        Assert.Equal(5, Assert.Single(monitor.Diagnostics).Step);
    }

    [Fact]
    public void The_same_loss_checked_twice_is_one_step()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var x = randn(2, 4);
        using var loss = model.call(x).sum();
        loss.backward();

        var first = monitor.Check(loss);
        var second = monitor.Check(loss);

        Assert.Same(first, second);
        Assert.Equal(1, monitor.Step);
    }

    [Fact]
    public void A_non_finite_loss_with_finite_gradients_is_worded_as_a_loss_problem()
    {
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var x = randn(8, 8);
        model.call(x).sum().backward();
        using var loss = tensor(float.PositiveInfinity);

        var diagnostic = Assert.Single(monitor.Check(loss).Diagnostics);

        Assert.Equal(GradientIssueKind.NonFinite, diagnostic.Kind);
        Assert.Equal(double.PositiveInfinity, diagnostic.Value);
        Assert.Equal("Non-finite loss at step 1: loss Infinity", diagnostic.Summary);
        Assert.Contains("every gradient is finite", diagnostic.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void An_activation_reading_from_one_call_long_ago_is_not_used_and_the_cause_says_the_probe_saw_no_forward_pass()
    {
        torch.manual_seed(92);
        using var model = new ForwardCallingSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8);
        // A reading describes the model for ProbeEvery + 1 checks; with a reading at every step, 2 checks are "long ago".
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ProbeEvery = 1 });
        using (var x = randn(64, 16).mul(50))
            model.RunThroughCall(x).Dispose(); // one pass through call(), with saturated outputs, before training
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);

        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30);

        var vanishing = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.Vanishing);
        Assert.DoesNotContain("saturated", vanishing.Cause, StringComparison.Ordinal);
        Assert.Contains("seen no forward pass", vanishing.Cause, StringComparison.Ordinal);
        Assert.Contains("forward()", vanishing.Cause, StringComparison.Ordinal);
    }
}
