using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class ActionTests
{
    [Fact]
    public void Skip_action_leaves_the_weights_unchanged_on_a_poisoned_step_and_training_goes_on()
    {
        torch.manual_seed(21);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        Tensor[]? before = null;

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 30, afterBackward: step =>
        {
            if (step == 9)
            {
                before = model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
                using var grad = ((Linear)model[2]).weight.grad!;
                grad[0, 0] = float.NaN;
            }
            if (step == 10)
                Assert.All(model.parameters().Zip(before!), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        });

        Assert.True(reports[9].StepSkipped);
        Assert.Equal(1, monitor.SkippedSteps);
        Assert.Single(monitor.Diagnostics);
        Assert.All(reports.Skip(10), r => Assert.False(r.HasNonFinite));
        Assert.All(model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Clip_action_scales_gradients_exactly_as_clip_grad_norm_does()
    {
        torch.manual_seed(22);
        using var clipped = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var reference = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        reference.load_state_dict(clipped.state_dict());
        using var x = randn(32, 8);
        clipped.call(x).pow(2).sum().backward();
        reference.call(x).pow(2).sum().backward();

        using var monitor = clipped.MonitorGradients(new GradientMonitorOptions { ClipMaxNorm = 0.5 });
        var report = monitor.Check();
        double referenceNorm = nn.utils.clip_grad_norm_(reference.parameters(), max_norm: 0.5);

        Assert.True(report.Clipped);
        Assert.Equal(referenceNorm, report.GlobalNorm, 3);
        foreach (var (mine, theirs) in clipped.parameters().Zip(reference.parameters()))
            Assert.True(mine.grad!.allclose(theirs.grad!, rtol: 1e-5, atol: 1e-7));
        double after = System.Math.Sqrt(clipped.parameters().Sum(p => System.Math.Pow(p.grad!.norm().item<float>(), 2)));
        Assert.Equal(0.5, after, 3);
    }

    [Fact]
    public void Clip_action_leaves_small_gradients_alone()
    {
        torch.manual_seed(23);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var x = randn(4, 8);
        model.call(x).mean().mul(1e-3).backward();
        var before = model.parameters().Select(p => p.grad!.clone()).ToArray();

        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ClipMaxNorm = 10 });
        var report = monitor.Check();

        Assert.False(report.Clipped);
        Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.grad!.allclose(pair.Second, rtol: 0, atol: 0)));
    }

    [Fact]
    public void Fail_fast_throws_with_the_diagnostic_after_reporting_it()
    {
        torch.manual_seed(24);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        var options = new GradientMonitorOptions();
        options.FailFastOn.Add(GradientIssueKind.NonFinite);
        using var monitor = model.MonitorGradients(options);
        using var x = randn(4, 8);
        model.call(x).sum().backward();
        using (var grad = ((Linear)model[0]).weight.grad!)
            grad[0, 0] = float.NaN;

        var error = Assert.Throws<GradientGuardException>(() => monitor.Check());

        Assert.Equal(GradientIssueKind.NonFinite, error.Diagnostic.Kind);
        Assert.Same(error.Diagnostic, Assert.Single(monitor.Diagnostics));
    }
}
