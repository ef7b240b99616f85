using System.Linq;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Per training step, in one process: a plain step; the floor (per-parameter gradient norms in one batched expression,
/// one host sync); clip_grad_norm_; and the monitor's Check() every step, every 10 steps, and with its clip action.
/// The "Only" benchmarks time the gradient work alone on the gradients of the last step. Monitors use the default
/// options (weight norms refreshed every 100th check) unless named otherwise. Each case attaches only its own monitor.
/// </summary>
[MemoryDiagnoser]
public class MonitorOverheadBenchmarks
{
    private nn.Module<Tensor, Tensor> model = null!;
    private Tensor x = null!, y = null!;
    private Parameter[] parameters = null!;
    private optim.Optimizer optimizer = null!;
    private GradientMonitor? monitor;

    [Params("mlp", "cnn", "lstm")]
    public string Model { get; set; } = "mlp";

    // Each case gets a model with at most its own monitor attached: a monitor's activation hooks run on every forward
    // pass, so monitors left attached for other cases would slow the plain step too.
    [GlobalSetup(Targets = new[] { nameof(PlainStep), nameof(StepWithFloor), nameof(StepWithClipGradNorm), nameof(FloorOnly), nameof(FloorWithWeightsOnly), nameof(ClipGradNormOnly) })]
    public void SetupWithoutMonitor() => Setup(null);

    [GlobalSetup(Targets = new[] { nameof(StepWithCheck), nameof(CheckOnly) })]
    public void SetupDefaultMonitor() => Setup(new GradientMonitorOptions { EmitMetrics = false });

    [GlobalSetup(Target = nameof(StepWithCheckEvery10))]
    public void SetupEveryTenth() => Setup(new GradientMonitorOptions { EmitMetrics = false, CheckEvery = 10 });

    [GlobalSetup(Targets = new[] { nameof(StepWithMonitorClip), nameof(MonitorClipOnly) })]
    public void SetupClipping() => Setup(new GradientMonitorOptions { EmitMetrics = false, ClipMaxNorm = 1.0 });

    [GlobalSetup(Target = nameof(CheckExactWeightsOnly))]
    public void SetupExactWeights() => Setup(new GradientMonitorOptions { EmitMetrics = false, WeightNormEvery = 1 });

    [GlobalCleanup]
    public void Cleanup()
    {
        monitor?.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PlainStep() => Step(() => { });

    [Benchmark]
    public void StepWithFloor() => Step(() => Floor());

    [Benchmark]
    public void StepWithClipGradNorm() => Step(() => nn.utils.clip_grad_norm_(parameters, 1.0));

    [Benchmark]
    public void StepWithCheck() => Step(() => monitor!.Check());

    [Benchmark]
    public void StepWithCheckEvery10() => Step(() => monitor!.Check());

    [Benchmark]
    public void StepWithMonitorClip() => Step(() => monitor!.Check());

    [Benchmark]
    public float FloorOnly() => Floor();

    [Benchmark]
    public float FloorWithWeightsOnly() => Floor(withWeights: true);

    [Benchmark]
    public double ClipGradNormOnly() => nn.utils.clip_grad_norm_(parameters, 1e9);

    [Benchmark]
    public GradientReport CheckOnly() => monitor!.Check();

    [Benchmark]
    public GradientReport MonitorClipOnly() => monitor!.Check();

    // Weight norms measured at every check: like for like with FloorWithWeightsOnly.
    [Benchmark]
    public GradientReport CheckExactWeightsOnly() => monitor!.Check();

    private void Setup(GradientMonitorOptions? options)
    {
        (model, x, y) = BenchmarkModels.Create(Model);
        parameters = model.parameters().ToArray();
        optimizer = optim.SGD(parameters, learningRate: 1e-4);
        monitor = options is null ? null : model.MonitorGradients(options);
        PlainStep(); // gradients for the "Only" cases
    }

    // The floor: every gradient's norm (and, for the like-for-like comparison with Check, every weight's) in one
    // batched expression, one host synchronization.
    private float Floor(bool withWeights = false)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var norms = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => linalg.vector_norm(g!));
        if (withWeights)
            norms = norms.Concat(parameters.Select(p => linalg.vector_norm(p)));
        return stack(norms.ToArray()).cpu().data<float>().ToArray().Sum();
    }

    private void Step(System.Action betweenBackwardAndStep)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(x), y).backward();
        betweenBackwardAndStep();
        optimizer.step();
    }
}
