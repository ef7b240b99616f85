using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Where the default monitor's per-step cost goes: the paired loop of <see cref="PairedStepLoop"/>, run with one part
/// of the monitor turned off at a time (and with all of them off), every variant interleaved with the same plain model
/// in one process. A part's cost is the default's ratio minus the ratio without it. Each check's own time is also
/// printed by its place in the default sampling cycle (dead units every 5th check, the update sample kept at the 20th
/// and measured at the next), and so is a bare norm pass of the plain model's gradients, first right after backward and
/// then once more at once: the first read of freshly written gradients is the floor a check pays in a training loop.
/// Run with the <c>profile</c> argument; it prints, and writes nothing to results.md (it is a diagnosis, not a result).
/// </summary>
internal static class MonitorCostProfile
{
    private const int Rounds = 12;

    /// <summary>The default monitor, each part of it turned off in turn, and norms only (shared with <see cref="CheckCostMinima"/>).</summary>
    internal static readonly (string Name, Action<GradientMonitorOptions> Set)[] Variants =
    {
        ("default", _ => { }),
        ("no probe", o => o.ProbeActivations = false),
        ("no dead units", o => o.DeadUnitsEvery = 1_000_000),
        ("no update ratio", o => o.UpdateRatioEvery = 1_000_000),
        ("no metrics", o => o.EmitMetrics = false),
        ("no findings", o => o.FindingsPath = null),
        ("norms only", o =>
        {
            o.ProbeActivations = false;
            o.DeadUnitsEvery = 1_000_000;
            o.UpdateRatioEvery = 1_000_000;
            o.EmitMetrics = false;
            o.FindingsPath = null;
        }),
    };

    /// <summary>A fresh copy of the benchmark model <paramref name="name"/>, monitored with the variant's options.</summary>
    internal static (nn.Module<Tensor, Tensor> Model, GradientMonitor Monitor) Monitored(string name, Action<GradientMonitorOptions> set)
    {
        var (model, x, y) = BenchmarkModels.Create(name);
        x.Dispose();
        y.Dispose();
        var options = new GradientMonitorOptions();
        set(options);
        return (model, model.MonitorGradients(options));
    }

    public static void Run(IEnumerable<string> models)
    {
        foreach (var name in models)
            RunOne(name);
    }

    private static void RunOne(string name)
    {
        var (plainModel, x, y) = BenchmarkModels.Create(name);
        using var plainOptimizer = optim.SGD(plainModel.parameters(), learningRate: 1e-4);
        var sides = new List<(string Name, nn.Module<Tensor, Tensor> Model, optim.Optimizer Optimizer, GradientMonitor Monitor)>();
        foreach (var (variant, set) in Variants)
        {
            var (model, monitor) = Monitored(name, set);
            sides.Add((variant, model, optim.SGD(model.parameters(), learningRate: 1e-4), monitor));
        }
        var ratios = sides.ToDictionary(s => s.Name, _ => new List<double>());
        double plainMs = 0;
        for (int round = 0; round < Rounds + 1; round++)
        {
            foreach (var side in sides)
            {
                bool plainFirst = (round + ratios[side.Name].Count) % 2 == 0;
                double a = plainFirst ? Block(plainModel, plainOptimizer, null, x, y) : Block(side.Model, side.Optimizer, side.Monitor, x, y);
                double b = plainFirst ? Block(side.Model, side.Optimizer, side.Monitor, x, y) : Block(plainModel, plainOptimizer, null, x, y);
                if (round == 0)
                    continue; // warm-up
                double plain = plainFirst ? a : b, monitored = plainFirst ? b : a;
                ratios[side.Name].Add(monitored / plain);
                plainMs += plain;
            }
        }
        Console.WriteLine($"profile {name}: plain {plainMs / (Rounds * sides.Count * PairedStepLoop.BlockSteps):F2} ms/step (Check() between backward and step)");
        BareNormSteps(plainModel, plainOptimizer, x, y); // after the rounds: its own time stays out of the plain blocks
        Console.WriteLine($"  bare norm pass (dot of each gradient, one copy to the host), median: {Median(BareNorms[0]):F3} ms right after backward, {Median(BareNorms[1]):F3} ms at once again");
        Console.WriteLine($"  {"plain",-16} per step: {PhaseText(plainModel).Replace("check", "(check)")}");
        foreach (var side in sides)
        {
            var sorted = ratios[side.Name].OrderBy(r => r).ToList();
            Console.WriteLine($"  {side.Name,-16} median {PairedStepLoop.Median(sorted):F3}x  min {sorted[0]:F3}x  per step: {PhaseText(side.Model)}");
            Console.WriteLine($"  {"",-16} check median by place in the sampling cycle (ms): {CycleText(side.Model)}");
            side.Optimizer.Dispose();
            side.Monitor.Dispose();
            side.Model.Dispose();
        }
        plainModel.Dispose();
        x.Dispose();
        y.Dispose();
    }

    // Per side, the time spent in each phase of the step (forward, backward, check, optimizer step), in ticks, and the steps run.
    private static readonly Dictionary<object, long[]> Phases = new();

    // Per monitored side, each check's time (ms) in order; the plain side's bare norm passes, fresh and again.
    private static readonly Dictionary<object, List<double>> CheckTimes = new();
    private static readonly List<double>[] BareNorms = { new(), new() };

    private static double Block(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, GradientMonitor? monitor, Tensor x, Tensor y)
    {
        if (!Phases.TryGetValue(model, out var phases))
            Phases[model] = phases = new long[5];
        phases[4] += PairedStepLoop.BlockSteps;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < PairedStepLoop.BlockSteps; i++)
        {
            using var scope = NewDisposeScope();
            long t0 = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            long t1 = Stopwatch.GetTimestamp();
            loss.backward();
            long t2 = Stopwatch.GetTimestamp();
            monitor?.Check(loss);
            long t3 = Stopwatch.GetTimestamp();
            optimizer.step();
            long t4 = Stopwatch.GetTimestamp();
            phases[0] += t1 - t0;
            phases[1] += t2 - t1;
            phases[2] += t3 - t2;
            if (monitor is not null)
                (CheckTimes.TryGetValue(model, out var times) ? times : CheckTimes[model] = new List<double>()).Add(Ms(t3 - t2));
            phases[3] += t4 - t3;
        }
        return watch.Elapsed.TotalMilliseconds;
    }

    // Plain training steps with a bare norm pass between backward and step, timed twice in a row.
    private static void BareNormSteps(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y)
    {
        for (int i = 0; i < 4 * PairedStepLoop.BlockSteps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            foreach (var times in BareNorms)
            {
                long start = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                {
                    var squares = model.parameters().Where(p => p.grad is not null).Select(p => { var flat = p.grad!.reshape(-1); return flat.matmul(flat); }).ToArray();
                    _ = stack(squares).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                }
                if (i >= PairedStepLoop.BlockSteps) // the first block warms up
                    times.Add(Ms(Stopwatch.GetTimestamp() - start));
            }
            optimizer.step();
        }
    }

    // The median check at each place of the default sampling cycle (the least common multiple of the dead-unit and
    // update intervals), the first two blocks (warm-up) left out.
    private static string CycleText(object model)
    {
        var times = CheckTimes[model].Skip(2 * PairedStepLoop.BlockSteps).ToList();
        return string.Join("  ", Enumerable.Range(0, Cycle).Select(place =>
            $"{place + 1}: {Median(times.Where((_, i) => i % Cycle == place).ToList()):F2}"));
    }

    /// <summary>The default sampling cycle in checks: every dead-unit and update sample falls at the same place in each.</summary>
    internal static readonly int Cycle = SamplingCycle(new GradientMonitorOptions());

    // The least common multiple of the two intervals (Euclid's greatest common divisor first).
    private static int SamplingCycle(GradientMonitorOptions defaults)
    {
        int a = defaults.DeadUnitsEvery, b = defaults.UpdateRatioEvery;
        int x = a, y = b;
        while (y != 0)
            (x, y) = (y, x % y);
        return a / x * b;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : PairedStepLoop.Median(values);

    private static string PhaseText(object model)
    {
        var p = Phases[model];
        double steps = p[4];
        string Ms(long ticks) => (ticks * 1000.0 / Stopwatch.Frequency / steps).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        return $"forward {Ms(p[0])}  backward {Ms(p[1])}  check {Ms(p[2])}  step {Ms(p[3])} ms";
    }
}
