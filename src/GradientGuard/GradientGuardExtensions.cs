using System;
using GradientGuard.Actions;
using static TorchSharp.torch;

namespace GradientGuard;

/// <summary>One-line integration of <see cref="GradientMonitor"/> into existing training code.</summary>
public static class GradientGuardExtensions
{
    /// <summary>Starts watching this model's gradients; same as <see cref="GradientMonitor.Attach"/>.</summary>
    public static GradientMonitor MonitorGradients(this nn.Module model, GradientMonitorOptions? options = null) =>
        GradientMonitor.Attach(model, options);

    /// <summary>
    /// Wraps the optimizer so that every <c>step()</c> first runs <paramref name="monitor"/>'s check and actions;
    /// everything else behaves as the wrapped optimizer does. Disposing the wrapper disposes the wrapped optimizer.
    /// </summary>
    public static GuardedOptimizer WithMonitor(this optim.Optimizer optimizer, GradientMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(monitor);
        return new GuardedOptimizer(optimizer, monitor);
    }
}
