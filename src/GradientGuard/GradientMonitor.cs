using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using GradientGuard.Actions;
using GradientGuard.Measurement;
using GradientGuard.Detection;
using GradientGuard.Output;
using GradientGuard.Probing;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard;

/// <summary>
/// Watches a model's gradients during training. Call <see cref="Check"/> between <c>backward()</c> and
/// <c>step()</c> (or wrap the optimizer with <c>WithMonitor</c>): it measures every layer's gradient in one
/// device synchronization, raises diagnostics of the training-health catalogue (vanishing, exploding and non-finite
/// gradients, saturation, poor initialization, a stalled or oscillating loss, ...) with severity, cause and advice, and
/// applies the actions the options turn on (clip, skip a poisoned step, fail fast).
/// </summary>
public sealed class GradientMonitor : IDisposable
{
    private readonly nn.Module model;
    private readonly GradientMonitorOptions options;
    private ParameterSetFingerprint parameterSet;
    // In this order: a detector may read what the ones before it raised at the same check (CheckContext.Raised), so
    // poor initialization and saturation come before the vanishing they can explain.
    private readonly IGradientDetector[] detectors =
    {
        new NoGradientsDetector(), new NonFiniteDetector(), new ExplodingDetector(), new PoorInitializationDetector(),
        new SaturationDetector(), new VanishingDetector(), new DeadUnitsDetector(), new UpdateTooLargeDetector(), new UpdateTooSmallDetector(),
        new LossStalledDetector(), new LossOscillatingDetector(),
    };
    private readonly List<GradientDiagnostic> history = new();
    private readonly ReportSinks sinks;
    // The monitor's view of the model, rebuilt when its parameter set changes (see FollowModel).
    private ModelView view;
    private ActivationProbe? probe;
    private bool refreshRequested;
    // The loss of the last check, to tell a repeated check of one step from the next step (weak: it is the caller's).
    private WeakReference<Tensor>? lastLoss;
    private bool disposed;
    // Weight-update sampling (see WeightUpdates): how many checks measured so far, whether this step's check is a sample,
    // the step whose weights a between-checks copy holds, and whether a wrapped optimizer measures the actual steps.
    private long measuredChecks;
    private bool updateSampleDue;
    private long keptAtStep;
    private bool optimizerWrapped;

    private GradientMonitor(nn.Module model, GradientMonitorOptions options)
    {
        this.model = model;
        this.options = options;
        parameterSet = ParameterSetFingerprint.Read(model);
        view = ModelView.Build(model, options, strict: true);
        probe = CreateProbe(previous: null);
        try
        {
            sinks = ReportSinks.Open(options, model);
        }
        catch
        {
            probe?.Dispose(); // Attach fails as a whole: no hook outlives it
            throw;
        }
    }

    /// <summary>Raised for every diagnostic, as it is raised.</summary>
    public event EventHandler<GradientDiagnostic>? DiagnosticRaised;

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the monitor publishes on.</summary>
    public static string MeterName => GradientMetrics.MeterName;

    /// <summary>Every diagnostic raised so far, oldest first.</summary>
    public IReadOnlyList<GradientDiagnostic> Diagnostics => history;

    /// <summary>How many training steps <see cref="Check"/> has seen (a repeated check of one step counts once).</summary>
    public long Step { get; private set; }

    /// <summary>The report of the last check, or null before the first.</summary>
    public GradientReport? LastReport { get; private set; }

    /// <summary>How many steps the skip action has skipped.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>How many device-to-host copies (host synchronizations) the checks have made so far; for tests.</summary>
    internal long HostSynchronizations { get; private set; }

    /// <summary>The names of the watched layers, input side first.</summary>
    public IReadOnlyList<string> Layers => view.Layers.Select(l => l.Name).ToArray();

    /// <summary>How many activation modules the probe watches; for tests.</summary>
    internal int ProbedActivations => probe?.Sites.Count ?? 0;

    /// <summary>The numbers the last measured check read; for tests.</summary>
    internal GradientSnapshot? LastSnapshot { get; private set; }

    /// <summary>Starts watching <paramref name="model"/>. Options are validated here.</summary>
    /// <exception cref="ArgumentNullException">The model is null.</exception>
    /// <exception cref="ArgumentException">The model has no parameters, or an option makes no sense.</exception>
    public static GradientMonitor Attach(nn.Module model, GradientMonitorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options = options?.Copy() ?? new GradientMonitorOptions();
        if (!options.FindingsPathSet)
            options.FindingsPath = FindingsFile.DefaultPath(model.GetType());
        options.Validate();
        return new GradientMonitor(model, options);
    }

    /// <summary>
    /// Measures the gradients of this step (call it after <c>backward()</c>, before <c>step()</c>), raises
    /// diagnostics and applies the configured actions. <paramref name="loss"/> is optional; given, a non-finite
    /// loss is reported too, and the loss is logged. Checking the same loss tensor again is the same step: it returns that
    /// step's report and does nothing else (no second count, no second diagnostic, no second action).
    /// </summary>
    /// <param name="loss">The step's loss, or null.</param>
    /// <param name="callerFilePath">Filled in by the compiler: the file of the call, which the findings file records.</param>
    /// <param name="callerLineNumber">Filled in by the compiler: the line of the call, which the findings file records.</param>
    /// <exception cref="GradientGuardException">A diagnostic of a kind in <see cref="GradientMonitorOptions.FailFastOn"/> was raised.</exception>
    public GradientReport Check(Tensor? loss = null, [CallerFilePath] string callerFilePath = "", [CallerLineNumber] int callerLineNumber = 0) =>
        CheckAt(loss, new LoopCallSite(callerFilePath, callerLineNumber));

    /// <summary>The check, asked for at <paramref name="site"/> (a <see cref="GuardedOptimizer"/> passes its WithMonitor call).</summary>
    internal GradientReport CheckAt(Tensor? loss, LoopCallSite site)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (loss is not null && loss.numel() != 1)
            throw new ArgumentException($"The loss must be a single value; it has shape [{string.Join(", ", loss.shape)}].", nameof(loss));

        if (loss is not null && LastReport is not null && lastLoss?.TryGetTarget(out var last) == true && ReferenceEquals(last, loss))
            return LastReport;

        // The step counts once its report exists: a check that throws before (a tensor the norms cannot take) is not a step.
        long step = Step + 1;
        if ((step - 1) % options.CheckEvery != 0)
        {
            Step = step;
            LastReport = new GradientReport(Step, isChecked: false, double.NaN, null, Array.Empty<LayerGradient>()) { CallSite = site };
            RememberLoss(loss);
            return LastReport;
        }

        FollowModel(view.WeightNorms.RefreshesNext);
        var (layers, traits, weightNorms, provenZeros, units, updates) = view;
        if (!optimizerWrapped && updates.IsKeeping)
            SampleUpdates(() => updates.Measure(step - keptAtStep, actualStep: false, learningRate: null)); // the weights' change since the sampled check
        weightNorms.BeginCheck();
        var snapshot = GradientNormCollector.Collect(layers, loss, probe, weightNorms, provenZeros, units, updates);
        HostSynchronizations += snapshot.HostSynchronizations;
        LastSnapshot = snapshot;
        var report = new GradientReport(step, isChecked: true, snapshot.GlobalNorm, snapshot.Loss, snapshot.Layers) { CallSite = site };
        var raised = new List<GradientDiagnostic>();
        var context = new CheckContext(step, snapshot, layers, traits, options, history, raised, weightNorms);

        foreach (var detector in detectors)
        {
            if (detector.Inspect(context) is { } diagnostic)
                raised.Add(diagnostic);
        }
        report.Diagnostics = raised;
        report.HasNonFinite = snapshot.HasNonFinite;

        Act(report, layers);
        // The first step is never sampled: Adam's first step is a sign step, and nothing is known about the run yet.
        updateSampleDue = ++measuredChecks % options.UpdateRatioEvery == 0 && step > 1 && !report.StepSkipped && UpdateSamplingError is null;
        if (updateSampleDue && !optimizerWrapped)
        {
            var moving = MovingLayers(report);
            SampleUpdates(() => updates.Keep(l => moving.ContainsKey(layers[l].Name), updated: null, l => moving[layers[l].Name]));
            keptAtStep = step;
        }
        Step = step;
        LastReport = report;
        RememberLoss(loss); // only now: a check that threw before this point is not this loss's check
        Publish(report);
        return report;
    }

    // The layers whose gradient this check found finite and not all zero, the ones a step can move, with their weight norms.
    private static Dictionary<string, double> MovingLayers(GradientReport report) =>
        report.Layers.Where(l => l.IsFinite && l.GradientNorm > 0).ToDictionary(l => l.Name, l => l.WeightNorm, StringComparer.Ordinal);

    /// <summary>A wrapped optimizer now measures the actual steps; a between-checks copy would measure them twice.</summary>
    internal void OptimizerWrapped()
    {
        optimizerWrapped = true;
        view.Updates.Discard();
    }

    /// <summary>
    /// Called by a wrapped optimizer right before its inner step, after this step's check: at a sampled check, keeps a
    /// device copy of the parameters <paramref name="updated"/> accepts (those the optimizer steps) in the layers the
    /// check found with a finite, non-zero gradient.
    /// </summary>
    internal void BeforeOptimizerStep(GradientReport checkedReport, Func<Parameter, bool> updated)
    {
        if (disposed || !updateSampleDue || !ReferenceEquals(checkedReport, LastReport) || checkedReport.StepSkipped)
            return;
        updateSampleDue = false;
        var moving = MovingLayers(checkedReport);
        var layers = view.Layers;
        SampleUpdates(() => view.Updates.Keep(l => moving.ContainsKey(layers[l].Name), updated, l => moving[layers[l].Name]));
    }

    /// <summary>Called by a wrapped optimizer right after its inner step: measures the step the kept copy saw.</summary>
    internal void AfterOptimizerStep(Func<double?> learningRate)
    {
        if (!disposed && view.Updates.IsKeeping)
            SampleUpdates(() => view.Updates.Measure(1, actualStep: true, learningRate()));
    }

    /// <summary>Why update sampling stopped for this run (the device could not hold a weight copy, say), or null.</summary>
    internal Exception? UpdateSamplingError { get; private set; }

    /// <summary>
    /// Runs one part of the update-ratio measurement. It is an extra the run must never pay for: when it fails (a copy of
    /// the weights the device cannot hold), the copies are freed, sampling stops for the run, and the check or the
    /// optimizer's step goes on as if it had never been tried.
    /// </summary>
    private void SampleUpdates(Action sample)
    {
        if (UpdateSamplingError is not null)
            return;
#pragma warning disable CA1031 // any failure of an optional measurement must stay out of the training loop
        try
        {
            sample();
            UpdateSamplingFault?.Invoke();
        }
        catch (Exception e)
        {
            view.Updates.StopSampling();
            UpdateSamplingError = e;
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// For tests: runs after each part of the update-ratio measurement (a keep, a measure), inside its guard. No failure
    /// of the measurement is reachable from a test on the CPU (it copies and subtracts tensors the check just measured;
    /// a replaced or disposed parameter is skipped), so a test throws from here to show that a failure once the copies
    /// exist frees them and stops sampling while training goes on.
    /// </summary>
    internal Action? UpdateSamplingFault { get; set; }

    /// <summary>Called by a wrapped optimizer whose inner step threw: the kept copy will not be measured.</summary>
    internal void OptimizerStepFailed()
    {
        if (!disposed)
            view.Updates.Discard();
    }

    private void RememberLoss(Tensor? loss) => lastLoss = loss is null ? null : new WeakReference<Tensor>(loss);

    /// <summary>Removes the activation hooks and closes the sinks; the monitor does no further work.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        view.DisposeDeviceState();
        probe?.Dispose();
        sinks.Dispose();
    }

    /// <summary>
    /// Makes the next check compare the model's whole parameter set (and its activation modules) with the monitor's
    /// view and rebuild the view if they differ. Call it after changing the model in a way the per-check test cannot
    /// see: registering a parameter on an existing module, or swapping a module or parameter for another without
    /// disposing the old one's parameters. Without it, such a change is picked up at the next check that refreshes
    /// the weight norms (every <see cref="GradientMonitorOptions.WeightNormEvery"/> checks). Replaced parameters
    /// (TorchSharp's setters and <c>to()</c> dispose the old one) and added or removed modules are seen at every check.
    /// </summary>
    public void Refresh()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        refreshRequested = true;
    }

    /// <summary>
    /// Rebuilds the monitor's view (layers, traits, weight-norm cache, proven zeros) when the model's parameter set
    /// changed, and the activation probe when its activation modules changed. Each check runs the cheap test of
    /// <see cref="ParameterSetFingerprint.MayHaveChanged"/>; the full walk runs when it fires, at weight-norm refresh
    /// checks (<paramref name="refreshDue"/>) and after <see cref="Refresh"/>. Everything new is built before anything
    /// is swapped in, so a rebuild that throws leaves the old view, hooks and fingerprint in place.
    /// </summary>
    private void FollowModel(bool refreshDue)
    {
        bool requested = refreshRequested;
        if (!refreshDue && !requested && !parameterSet.MayHaveChanged(model))
            return;
        var current = ParameterSetFingerprint.Read(model);
        bool parametersChanged = parameterSet.Differs(current);
        bool modulesChanged = parameterSet.ModuleCount != current.ModuleCount;
        var newView = parametersChanged ? ModelView.Build(model, options, strict: false)
            : modulesChanged || requested ? view with { Traits = ModelTraits.Read(model) }
            : view;
        var newProbe = probe;
        if (options.ProbeActivations && (parametersChanged || modulesChanged || requested))
        {
            var sites = ActivationProbe.FindSites(model);
            if (!(probe?.Watches(sites) ?? sites.Count == 0))
                newProbe = CreateProbe(sites, probe);
        }

        if (!ReferenceEquals(newView.Units, view.Units))
            view.DisposeDeviceState(); // the masks and kept copies belong to the old layers
        var oldView = view;
        view = newView;
        if (parametersChanged)
        {
            var rebuild = ViewRebuild.Between(oldView, newView);
            if (rebuild.ChangedLayers.Count > 0)
            {
                foreach (var detector in detectors)
                    detector.OnViewRebuilt(rebuild);
            }
        }
        parameterSet = current;
        refreshRequested = false;
        if (!ReferenceEquals(newProbe, probe))
        {
            probe?.Dispose();
            probe = newProbe;
        }
    }

    private ActivationProbe? CreateProbe(ActivationProbe? previous) =>
        options.ProbeActivations ? CreateProbe(ActivationProbe.FindSites(model), previous) : null;

    private ActivationProbe? CreateProbe(IReadOnlyList<ActivationProbe.FoundSite> sites, ActivationProbe? previous) =>
        sites.Count > 0 ? new ActivationProbe(sites, previous, options.ProbeEvery) : null;

    private void Act(GradientReport report, IReadOnlyList<WatchedLayer> layers)
    {
        if (report.HasNonFinite && options.SkipNonFiniteSteps)
        {
            GradientActions.Zero(layers);
            report.StepSkipped = true;
            SkippedSteps++;
        }
        else if (options.ClipMaxNorm is double maxNorm && report.GlobalNorm > maxNorm)
        {
            // The same coefficient clip_grad_norm_ uses, from the norm this check already computed.
            double coefficient = maxNorm / (report.GlobalNorm + 1e-6);
            GradientActions.Scale(layers, coefficient);
            report.ClipCoefficient = coefficient;
        }
    }

    /// <summary>
    /// Records the diagnostics before any sink can fail, publishes to the sinks (which never throw: a failing sink is
    /// closed and reported as a diagnostic of its own), raises the event for each, and only then fails fast.
    /// </summary>
    private void Publish(GradientReport report)
    {
        history.AddRange(report.Diagnostics);
        var failures = sinks.Publish(report);
        if (failures.Count > 0)
        {
            history.AddRange(failures);
            report.Diagnostics = report.Diagnostics.Concat(failures).ToList();
        }
        foreach (var diagnostic in report.Diagnostics)
            DiagnosticRaised?.Invoke(this, diagnostic);
        // An early sign (Info) is advice, not a failure: a CI smoke run that fails fast on Vanishing must not stop on it.
        if (report.Diagnostics.FirstOrDefault(d => d.Severity == IssueSeverity.Warning && options.FailFastOn.Contains(d.Kind)) is { } fatal)
            throw new GradientGuardException(fatal);
    }
}
