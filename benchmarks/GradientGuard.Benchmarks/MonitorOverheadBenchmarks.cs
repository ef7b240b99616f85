using System.Linq;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Per training step, in one process: a plain step; the floor (per-parameter gradient norms in one batched expression,
/// one host sync); clip_grad_norm_; and the monitor's Check() every step, every 10 steps, and with its clip action.
/// The "Only" benchmarks time the gradient work alone on the gradients of the last step. Monitors use the default
/// options (weight norms refreshed every 10th check) unless named otherwise.
/// </summary>
[MemoryDiagnoser]
public class MonitorOverheadBenchmarks
{
    private nn.Module<Tensor, Tensor> model = null!;
    private Tensor x = null!, y = null!;
    private Parameter[] parameters = null!;
    private optim.Optimizer optimizer = null!;
    private GradientMonitor everyStep = null!, everyTenth = null!, clipping = null!, exactWeights = null!;

    [Params("mlp", "cnn", "lstm")]
    public string Model { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        (model, x, y) = BenchmarkModels.Create(Model);
        parameters = model.parameters().ToArray();
        optimizer = optim.SGD(parameters, learningRate: 1e-4);
        everyStep = model.MonitorGradients(new GradientMonitorOptions { EmitMetrics = false });
        everyTenth = model.MonitorGradients(new GradientMonitorOptions { EmitMetrics = false, CheckEvery = 10 });
        clipping = model.MonitorGradients(new GradientMonitorOptions { EmitMetrics = false, ClipMaxNorm = 1.0 });
        exactWeights = model.MonitorGradients(new GradientMonitorOptions { EmitMetrics = false, WeightNormEvery = 1 });
        PlainStep();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        everyStep.Dispose();
        everyTenth.Dispose();
        clipping.Dispose();
        exactWeights.Dispose();
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
    public void StepWithCheck() => Step(() => everyStep.Check());

    [Benchmark]
    public void StepWithCheckEvery10() => Step(() => everyTenth.Check());

    [Benchmark]
    public void StepWithMonitorClip() => Step(() => clipping.Check());

    [Benchmark]
    public float FloorOnly() => Floor();

    [Benchmark]
    public float FloorWithWeightsOnly() => Floor(withWeights: true);

    [Benchmark]
    public double ClipGradNormOnly() => nn.utils.clip_grad_norm_(parameters, 1e9);

    [Benchmark]
    public GradientReport CheckOnly() => everyStep.Check();

    [Benchmark]
    public GradientReport MonitorClipOnly() => clipping.Check();

    // Weight norms measured at every check: like for like with FloorWithWeightsOnly.
    [Benchmark]
    public GradientReport CheckExactWeightsOnly() => exactWeights.Check();

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
