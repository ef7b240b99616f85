using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Actions;

/// <summary>
/// An optimizer that runs <see cref="GradientMonitor.Check"/> (and its actions) before every <c>step()</c> and
/// otherwise delegates everything to the optimizer it wraps: parameters, param groups (so LR schedulers work),
/// <c>zero_grad</c> and state dicts. A step whose gradients were not finite is skipped when the monitor's skip
/// action is on. TorchSharp has no backward hooks, so the step is where the monitor can intercept.
/// </summary>
public sealed class GuardedOptimizer : OptimizerHelper
{
    private readonly optim.Optimizer inner;
    private readonly GradientMonitor monitor;

    internal GuardedOptimizer(optim.Optimizer inner, GradientMonitor monitor)
    {
        this.inner = inner;
        this.monitor = monitor;
    }

    /// <summary>The wrapped optimizer.</summary>
    public optim.Optimizer Inner => inner;

    /// <summary>The report of the last step's check.</summary>
    public GradientReport? LastReport { get; private set; }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null)
    {
        var report = monitor.Check();
        LastReport = report;
        return report.StepSkipped ? null! : inner.step(closure);
    }

    /// <inheritdoc />
    public override void zero_grad() => inner.zero_grad();

    /// <inheritdoc />
    public override IEnumerable<Parameter> parameters() => inner.parameters();

    /// <inheritdoc />
    public override IEnumerable<optim.ILearningRateController> ParamGroups => inner.ParamGroups;

    /// <inheritdoc />
    public override void add_param_group(ParamGroup param_group) => inner.add_param_group(param_group);

    /// <inheritdoc />
    public override optim.Optimizer.StateDictionary state_dict() =>
        inner is OptimizerHelper helper ? helper.state_dict() : throw new NotSupportedException($"{inner.GetType().Name} has no state dictionary.");

    /// <inheritdoc />
    public override void load_state_dict(optim.Optimizer.StateDictionary state_dict)
    {
        if (inner is not OptimizerHelper helper)
            throw new NotSupportedException($"{inner.GetType().Name} has no state dictionary.");
        helper.load_state_dict(state_dict);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
