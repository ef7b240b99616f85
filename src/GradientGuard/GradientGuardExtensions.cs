using System;
using System.Runtime.CompilerServices;
using GradientGuard.Output;
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
    /// The findings file records this call's file and line as the training step's place.
    /// </summary>
    /// <param name="optimizer">The optimizer to wrap.</param>
    /// <param name="monitor">The monitor whose check runs before each step.</param>
    /// <param name="callerFilePath">Filled in by the compiler: the file of the call.</param>
    /// <param name="callerLineNumber">Filled in by the compiler: the line of the call.</param>
    public static GuardedOptimizer WithMonitor(this optim.Optimizer optimizer, GradientMonitor monitor, [CallerFilePath] string callerFilePath = "", [CallerLineNumber] int callerLineNumber = 0)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(monitor);
        return new GuardedOptimizer(optimizer, monitor, new LoopCallSite(callerFilePath, callerLineNumber));
    }
}
