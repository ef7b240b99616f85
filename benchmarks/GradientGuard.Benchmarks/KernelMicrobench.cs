using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Which libtorch kernel computes the monitor's per-tensor reductions fastest on this machine: the candidates for the
/// gradient norms and the dead-unit row test, timed on the real gradients of one training step of a benchmark model,
/// interleaved in one process (every candidate runs once per round, in an order that rotates), each ending in one host
/// copy as the check does. Also a plain sum over the same tensors (the same bytes read with the cheapest arithmetic:
/// the memory-bandwidth reference) and the same reductions over 1-element tensors (the per-call overhead alone). Run
/// with the <c>kernels</c> argument; prints only.
/// </summary>
internal static class KernelMicrobench
{
    private const int Rounds = 60;

    public static void Run(IEnumerable<string> models)
    {
        foreach (var name in models)
            RunOne(name);
    }

    private static void RunOne(string name)
    {
        var (model, x, y) = BenchmarkModels.Create(name);
        nn.functional.cross_entropy(model.call(x), y).backward();
        var grads = model.parameters().Select(p => p.grad!).ToArray();
        var matrices = grads.Where(g => g.dim() >= 2).ToArray();
        var tiny = grads.Select(_ => ones(1)).ToArray();
        long bytes = grads.Sum(g => g.numel() * 4);
        long matrixBytes = matrices.Sum(g => g.numel() * 4);
        var all = cat(grads.Select(g => g.reshape(-1)).ToArray());

        // The whole check on the same gradients, for what it adds to its kernels: norms only, and every part of the
        // default monitor (dead units every 5th check, an update sample every 10th: averaged over the rounds).
        var (normsModel, _, _) = BenchmarkModels.Create(name);
        var (defaultModel, _, _) = BenchmarkModels.Create(name);
        foreach (var (target, source) in normsModel.parameters().Zip(model.parameters()).Concat(defaultModel.parameters().Zip(model.parameters())))
            target.grad = source.grad!.clone();
        using var normsOnly = normsModel.MonitorGradients(new GradientMonitorOptions
        {
            ProbeActivations = false, DeadUnitsEvery = 1_000_000, UpdateRatioEvery = 1_000_000, EmitMetrics = false, FindingsPath = null,
        });
        using var monitored = defaultModel.MonitorGradients();
        var candidates = new (string Name, long Bytes, Func<double[]> Run)[]
        {
            ("Check(), norms only", bytes, () => new[] { normsOnly.Check().GlobalNorm }),
            ("Check(), default monitor", bytes, () => new[] { monitored.Check().GlobalNorm }),
            ("vector_norm per tensor (today)", bytes, () => Read(grads.Select(g => linalg.vector_norm(g)))),
            ("Tensor.norm() per tensor", bytes, () => Read(grads.Select(g => g.norm()))),
            ("dot(flat, flat) per tensor, sqrt", bytes, () => Read(grads.Select(g => { var f = g.reshape(-1); return f.dot(f); }), sqrt: true)),
            ("vdot(flat, flat) per tensor, sqrt", bytes, () => Read(grads.Select(g => { var f = g.reshape(-1); return f.vdot(f); }), sqrt: true)),
            ("square().sum() per tensor", bytes, () => Read(grads.Select(g => g.square().sum()), sqrt: true)),
            ("row vector_norm(dim 1), then norm", bytes, () => Read(grads.Select(g => linalg.vector_norm(g.dim() >= 2 ? linalg.vector_norm(g.reshape(g.shape[0], -1), dims: new long[] { 1 }) : g)))),
            ("sum() per tensor (bandwidth ref.)", bytes, () => Read(grads.Select(g => g.sum()))),
            ("vector_norm, one 10 MB tensor", bytes, () => Read(new[] { linalg.vector_norm(all) })),
            ("sum(), one 10 MB tensor", bytes, () => Read(new[] { all.sum() })),
            ("vector_norm of 1-element tensors", 0, () => Read(tiny.Select(t => linalg.vector_norm(t)))),
            ("rows: amax(1) and amin(1) (today)", matrixBytes, () => Read(matrices.Select(g => { var r = g.reshape(g.shape[0], -1); return r.amax(new long[] { 1 }).ne(0).logical_or_(r.amin(new long[] { 1 }).ne(0)).sum(); }))),
            ("rows: aminmax(dim 1)", matrixBytes, () => Read(matrices.Select(g => { var (mn, mx) = g.reshape(g.shape[0], -1).aminmax(1); return mx.ne(0).logical_or_(mn.ne(0)).sum(); }))),
            ("rows: count_nonzero(dim 1)", matrixBytes, () => Read(matrices.Select(g => g.reshape(g.shape[0], -1).count_nonzero(new long[] { 1 }).ne(0).sum()))),
            ("rows: any(dim 1)", matrixBytes, () => Read(matrices.Select(g => g.reshape(g.shape[0], -1).any(1).sum()))),
            ("inner(flat, flat) per tensor, sqrt", bytes, () => Read(grads.Select(g => { var f = g.reshape(-1); return f.inner(f); }), sqrt: true)),
            ("rows: L1 vector_norm(dim 1)", matrixBytes, () => Read(matrices.Select(g => linalg.vector_norm(g.reshape(g.shape[0], -1), 1, new long[] { 1 }).ne(0).sum()))),
            ("rows: L2 vector_norm(dim 1)", matrixBytes, () => Read(matrices.Select(g => linalg.vector_norm(g.reshape(g.shape[0], -1), 2, new long[] { 1 }).ne(0).sum()))),
        };

        // Same numbers from the candidates that compute the same thing (a wrong kernel would show here, not in a timing).
        // Against the float64 norm of the same values: the rounding error of each float32 accumulation.
        var reference = Read(grads.Select(g => linalg.vector_norm(g.to_type(ScalarType.Float64))));
        foreach (int c in new[] { 2, 3, 4, 5, 6, 7 })
        {
            var other = candidates[c].Run();
            double worst = reference.Zip(other, (a, b) => Math.Abs(a - b) / Math.Max(a, 1e-30)).Max();
            Console.WriteLine($"  check: {candidates[c].Name}: largest relative error against float64 {worst:E2}");
        }

        var times = candidates.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < Rounds + 3; round++)
        {
            for (int k = 0; k < candidates.Length; k++)
            {
                int c = (k + round) % candidates.Length;
                long t0 = Stopwatch.GetTimestamp();
                candidates[c].Run();
                double us = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                if (round >= 3)
                    times[c].Add(us);
            }
        }
        Console.WriteLine($"kernels {name}: {grads.Length} gradients, {bytes / 1e6:F1} MB float32 ({matrices.Length} matrices, {matrixBytes / 1e6:F1} MB); libtorch threads {get_num_threads()}; median (min) of {Rounds} interleaved rounds, each with one host copy");
        for (int c = 0; c < candidates.Length; c++)
        {
            var sorted = times[c].OrderBy(t => t).ToList();
            double median = PairedStepLoop.Median(sorted);
            string rate = candidates[c].Bytes > 0 ? $"  {candidates[c].Bytes / (sorted[0] * 1e3):F1} GB/s at min" : "";
            Console.WriteLine($"  {candidates[c].Name,-40} {median,8:F0} µs ({sorted[0]:F0}){rate}");
        }
        all.Dispose();
        model.Dispose();
        normsModel.Dispose();
        defaultModel.Dispose();
    }

    private static double[] Read(IEnumerable<Tensor> values, bool sqrt = false)
    {
        using var scope = NewDisposeScope();
        var v = stack(values.ToArray()).to_type(ScalarType.Float64);
        if (sqrt)
            v = v.sqrt();
        return v.cpu().data<double>().ToArray();
    }
}
