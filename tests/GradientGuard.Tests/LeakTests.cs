using GradientGuard.Tests.Support;
using TorchSharp;
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
