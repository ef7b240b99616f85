using System;
using System.Collections.Generic;
using GradientGuard.Output;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard;

/// <summary>
/// An optimizer that runs <see cref="GradientMonitor.Check"/> (and its actions) before every <c>step()</c> (after the
/// closure, when one is given) and
/// otherwise delegates everything to the optimizer it wraps: parameters, param groups (so LR schedulers work),
/// <c>zero_grad</c> and state dicts. A step whose gradients were not finite is skipped when the monitor's skip
/// action is on. TorchSharp has no backward hooks, so the step is where the monitor can intercept.
/// </summary>
public sealed class GuardedOptimizer : OptimizerHelper
{
    private readonly optim.Optimizer inner;
    private readonly GradientMonitor monitor;
    // monitor.Step when this wrapper last stepped (or tried to: a check that threw counts) and when its zero_grad()
    // last ran. A check made after both measured this step's gradients as far as can be known.
    private long monitorStepAtLastStep;
    private long monitorStepAtZeroGrad;
    // The WithMonitor call: step() is an override and cannot take caller information, so its checks are recorded there.
    private readonly LoopCallSite site;
    // The handles of the parameters the wrapped optimizer steps, read at a sampled step (see MeasuredStep).
    private HashSet<IntPtr>? steppedHandles;

    internal GuardedOptimizer(optim.Optimizer inner, GradientMonitor monitor, LoopCallSite site)
    {
        this.inner = inner;
        this.monitor = monitor;
        this.site = site;
        monitorStepAtLastStep = monitor.Step; // checks made before the wrapper existed belong to no step of it
        monitorStepAtZeroGrad = monitor.Step;
        monitor.OptimizerWrapped();
    }

    /// <summary>The wrapped optimizer.</summary>
    public optim.Optimizer Inner => inner;

    /// <summary>The report of the last step's check.</summary>
    public GradientReport? LastReport { get; private set; }

    /// <summary>
    /// Checks the gradients, then steps the wrapped optimizer unless the check skipped the step. With a
    /// <paramref name="closure"/>, the closure runs first (under grad mode, as the optimizers run it), the check
    /// measures the gradients it computed, and its evaluation is handed to the wrapped optimizer as the closure's first
    /// call, so it is not evaluated twice (LBFGS evaluates it again for its line search; those evaluations are not checked).
    /// </summary>
    /// <returns>
    /// What the wrapped optimizer returns: the closure's loss, or null without a closure. A skipped step returns the
    /// same: the closure's loss (its value is what made the step poisonous, if the loss was), or null.
    /// </returns>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        try
        {
            return closure is null ? StepChecked() : StepWithClosure(closure);
        }
        finally
        {
            // Also when the check threw (FailFastOn): that check belongs to this step, not to the next.
            monitorStepAtLastStep = monitor.Step;
        }
    }

    private Tensor StepChecked()
    {
        // A loop that already called monitor.Check() for this step has been checked (and acted on): checking again
        // would count the step twice and could undo its decision (zeroed gradients look healthy). A check counts as this
        // step's only when it came after this wrapper's last step and after its last zero_grad(): a loop that checks
        // after step() for logging checked the previous step's gradients, which zero_grad() then cleared.
        bool checkedByLoop = monitor.Step > Math.Max(monitorStepAtLastStep, monitorStepAtZeroGrad) && monitor.LastReport is not null;
        LastReport = checkedByLoop ? monitor.LastReport! : monitor.CheckAt(null, site);
        return LastReport.StepSkipped ? null! : MeasuredStep(null);
    }

    // The inner step, with the monitor keeping a copy of the weights right before it at sampled checks and measuring
    // the actual update right after it (device work only; the numbers are read at the next check).
    private Tensor MeasuredStep(Func<Tensor>? closure)
    {
        monitor.BeforeOptimizerStep(LastReport!, StepsParameter);
        Tensor result;
        try
        {
            result = inner.step(closure);
        }
        catch
        {
            monitor.OptimizerStepFailed();
            throw;
        }
        monitor.AfterOptimizerStep(LargestLearningRate);
        return result;
    }

    private bool StepsParameter(Parameter parameter)
    {
        steppedHandles ??= new HashSet<IntPtr>(inner.parameters().Select(p => p.Handle));
        return steppedHandles.Contains(parameter.Handle);
    }

    private double? LargestLearningRate()
    {
        steppedHandles = null; // param groups can change between samples (add_param_group): read them afresh at the next
        double? largest = null;
        foreach (var group in inner.ParamGroups)
            largest = Math.Max(largest ?? double.NegativeInfinity, group.LearningRate);
        return largest;
    }

    private Tensor StepWithClosure(Func<Tensor> closure)
    {
        Tensor loss;
        using (enable_grad())
            loss = closure();
        LastReport = monitor.CheckAt(loss, site);
        if (LastReport.StepSkipped)
            return loss;
        bool evaluated = false;
        return MeasuredStep(() =>
        {
            if (evaluated)
                return closure();
            evaluated = true;
            return loss;
        });
    }

    /// <summary>The wrapped optimizer's <c>zero_grad()</c>; a check made before it measured gradients it clears.</summary>
    public override void zero_grad()
    {
        monitorStepAtZeroGrad = monitor.Step;
        inner.zero_grad();
    }

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
