using System;
using GradientGuard.Probing;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class LeakTests
{
    [Fact]
    public void A_thousand_checks_with_probe_clip_and_loss_leave_no_native_tensor_behind()
    {
        torch.manual_seed(41);
        using var model = Models.DeepSigmoidMlp(inputs: 8, width: 16, hiddenLayers: 3);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ClipMaxNorm = 1e-3 });
        using var x = randn(16, 8);
        using var loss = model.call(x).pow(2).mean();
        loss.backward();
        monitor.Check(loss); // the probe's readings exist from here on

        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 1000; i++)
            monitor.Check(loss);

        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Checks_that_measure_extreme_non_finite_and_zero_gradients_again_leave_no_native_tensor_behind()
    {
        torch.manual_seed(43);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 1 });
        using var x = randn(16, 8);
        using var loss = model.call(x).pow(2).mean();
        loss.backward();
        using (NewDisposeScope())
        {
            ((Linear)model[0]).weight.grad!.mul_(1e-30f);  // tiny
            ((Linear)model[2]).weight.grad!.mul_(1e25f);   // squares overflow
            ((Linear)model[4]).weight.grad!.zero_();        // exactly zero: proven at the first check, its max-abs read at the others
            ((Linear)model[6]).weight.grad![0, 0] = float.NaN;
        }
        // The probe's readings of the one forward pass are stale, and disposed, from here on; the update sample has been
        // taken once, and the layout it reuses for the run exists.
        var defaults = new GradientMonitorOptions();
        for (int i = 0; i <= Math.Max(ActivationProbe.MaxAgeFor(defaults.ProbeEvery), defaults.UpdateRatioEvery + 1); i++)
            monitor.Check();

        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 200; i++)
            monitor.Check();

        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Activation_probe_keeps_one_reading_per_activation_across_forward_passes()
    {
        torch.manual_seed(42);
        using var model = Models.DeepSigmoidMlp(inputs: 8, width: 16, hiddenLayers: 3);
        using var monitor = model.MonitorGradients();
        using var x = randn(16, 8);
        model.call(x).Dispose();

        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 200; i++)
        {
            using var scope = NewDisposeScope();
            model.call(x);
        }

        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
