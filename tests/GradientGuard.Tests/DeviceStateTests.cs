using System.Collections.Generic;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// The device state of the dead-unit and update-ratio measurements — the units' "ever alive" masks and the weight
/// copies kept over a step — costs no host synchronization of its own and no native tensor beyond its lifetime.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class DeviceStateTests
{
    private static GradientMonitorOptions EverythingEveryCheck() => new() { DeadUnitsEvery = 1, DeadUnitsWindow = 3, UpdateRatioEvery = 1, WeightNormEvery = 1 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dead_units_and_update_ratios_at_every_check_cost_one_host_synchronization_per_check(bool wrapped)
    {
        torch.manual_seed(61);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using var monitor = model.MonitorGradients(EverythingEveryCheck());
        using var sgd = optim.SGD(model.parameters(), learningRate: 0.01);
        using var guarded = wrapped ? sgd.WithMonitor(monitor) : null;
        var syncs = new List<long>();
        int updateReadings = 0, deadReadings = 0;
        for (int step = 0; step < 30; step++)
        {
            long before = monitor.HostSynchronizations;
            Step(model, monitor, (optim.Optimizer?)guarded ?? sgd, check: !wrapped);
            syncs.Add(monitor.HostSynchronizations - before);
            updateReadings += monitor.LastSnapshot!.Updates.Count;
            deadReadings += monitor.LastSnapshot.DeadUnits.Count;
        }

        // The first check proves the zero-initialized biases zero (ExactNorms' second synchronization, once).
        Assert.All(syncs.Skip(1), s => Assert.Equal(1, s));
        Assert.True(updateReadings >= 28 * 4, $"{updateReadings} update readings"); // 4 layers from check 3 on
        Assert.True(deadReadings >= 9 * 3, $"{deadReadings} dead-unit readings");  // 3 hidden layers, a window of 3
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Masks_and_kept_copies_leave_no_native_tensor_behind_and_dispose_frees_them(bool wrapped)
    {
        torch.manual_seed(62);
        using var model = Models.ReluMlp(inputs: 16, width: 32, hiddenLayers: 2);
        using var x = randn(32, 16);
        using var y = randn(32, 1);
        long beforeAttach = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var monitor = model.MonitorGradients(EverythingEveryCheck());
        var sgd = optim.SGD(model.parameters(), learningRate: 0.01);
        var guarded = wrapped ? sgd.WithMonitor(monitor) : null;
        var optimizer = (optim.Optimizer?)guarded ?? sgd;
        for (int step = 0; step < 5; step++)
            Step(model, monitor, optimizer, check: !wrapped, x, y);

        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int step = 0; step < 100; step++)
            Step(model, monitor, optimizer, check: !wrapped, x, y);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        monitor.Dispose(); // the masks and (unwrapped) the copy kept at the last check
        Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount < live, "dispose freed the device state");
        optimizer.Dispose();
        // What is left is the gradients backward() created and the optimizer's own state, none of the monitor's.
        Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount - beforeAttach <= model.parameters().Count() * 2);
    }

    [Theory]
    [InlineData(nameof(GradientMonitorOptions.DeadUnitsEvery))]
    [InlineData(nameof(GradientMonitorOptions.DeadUnitsWindow))]
    [InlineData(nameof(GradientMonitorOptions.DeadUnitsInfoShare))]
    [InlineData(nameof(GradientMonitorOptions.DeadUnitsWarningShare))]
    [InlineData(nameof(GradientMonitorOptions.UpdateRatioEvery))]
    [InlineData(nameof(GradientMonitorOptions.UpdateTooLargeRatio))]
    [InlineData(nameof(GradientMonitorOptions.UpdateTooSmallRatio))]
    [InlineData(nameof(GradientMonitorOptions.UpdatePatience))]
    public void Invalid_dead_unit_and_update_options_name_the_option(string option)
    {
        var options = new GradientMonitorOptions();
        switch (option)
        {
            case nameof(GradientMonitorOptions.DeadUnitsEvery): options.DeadUnitsEvery = 0; break;
            case nameof(GradientMonitorOptions.DeadUnitsWindow): options.DeadUnitsWindow = -1; break;
            case nameof(GradientMonitorOptions.DeadUnitsInfoShare): options.DeadUnitsInfoShare = double.NaN; break;
            case nameof(GradientMonitorOptions.DeadUnitsWarningShare): options.DeadUnitsWarningShare = 0.2; break; // below the Info share
            case nameof(GradientMonitorOptions.UpdateRatioEvery): options.UpdateRatioEvery = 0; break;
            case nameof(GradientMonitorOptions.UpdateTooLargeRatio): options.UpdateTooLargeRatio = double.PositiveInfinity; break;
            case nameof(GradientMonitorOptions.UpdateTooSmallRatio): options.UpdateTooSmallRatio = 1; break; // above the large bound
            case nameof(GradientMonitorOptions.UpdatePatience): options.UpdatePatience = 0; break;
        }
        using var model = nn.Linear(2, 2);

        var error = Assert.Throws<System.ArgumentException>(() => GradientMonitor.Attach(model, options));

        Assert.Equal(option, error.ParamName);
        Assert.Contains("GradientMonitorOptions." + option, error.Message, System.StringComparison.Ordinal);
    }

    private static void Step(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, optim.Optimizer optimizer, bool check, Tensor? x = null, Tensor? y = null)
    {
        using var scope = NewDisposeScope();
        var batch = x is null ? Training.Regression(32, 16) : (x, y!);
        optimizer.zero_grad();
        var loss = nn.functional.mse_loss(model.call(batch.Item1), batch.Item2);
        loss.backward();
        if (check)
            monitor.Check(loss);
        optimizer.step();
    }
}
