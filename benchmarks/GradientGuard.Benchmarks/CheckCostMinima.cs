using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>
/// The checks alone, measured so that other load on the machine hardly moves the result: for each variant of <see
/// cref="MonitorCostProfile"/> (the default monitor, one part off at a time, norms only), a model whose gradients were
/// computed once is checked in blocks of one whole default sampling cycle (<see cref="MonitorCostProfile.Cycle"/>: 20
/// checks, a dead-unit sample every 5th, an update sample kept at the 20th and measured at the next; a shorter block
/// would let the minimum pick the blocks without the update sample), interleaved with blocks of 10 plain training steps
/// of the same model (the variants in a rotating order), and the minimum of the blocks is kept. A minimum is the run
/// that nothing else disturbed; what one part costs is the default's minimum less the minimum without it. It leaves out
/// what a check costs inside a training loop and not here (gradients evicted from the caches by the forward and
/// backward passes, the probe's forward hooks), so it is a lower bound and a diagnosis, and the paired loop stays the
/// result. Run with the <c>checks</c> argument; it prints only.
/// </summary>
internal static class CheckCostMinima
{
    private const int Rounds = 40;

    public static void Run(IEnumerable<string> models)
    {
        foreach (var name in models)
            RunOne(name);
    }

    private static void RunOne(string name)
    {
        var (plainModel, x, y) = BenchmarkModels.Create(name);
        using var plainOptimizer = optim.SGD(plainModel.parameters(), learningRate: 1e-4);
        var sides = new List<(string Name, nn.Module<Tensor, Tensor> Model, GradientMonitor Monitor)>();
        foreach (var (variant, set) in MonitorCostProfile.Variants)
        {
            var (model, monitor) = MonitorCostProfile.Monitored(name, set);
            using (NewDisposeScope())
                nn.functional.cross_entropy(model.call(x), y).backward();
            sides.Add((variant, model, monitor));
        }
        double plainMin = double.MaxValue;
        var checkMin = sides.ToDictionary(s => s.Name, _ => double.MaxValue);
        for (int round = 0; round < Rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < PairedStepLoop.BlockSteps; i++)
            {
                using var scope = NewDisposeScope();
                plainOptimizer.zero_grad();
                nn.functional.cross_entropy(plainModel.call(x), y).backward();
                plainOptimizer.step();
            }
            plainMin = Math.Min(plainMin, watch.Elapsed.TotalMilliseconds);
            // In a rotating order: the variant checked right after the training block meets the caches that block left
            // (0.03-0.05 ms more per check on the CNN), and with a fixed order that was always the default.
            for (int k = 0; k < sides.Count; k++)
            {
                var (variant, _, monitor) = sides[(round + k) % sides.Count];
                var checks = Stopwatch.StartNew();
                for (int i = 0; i < MonitorCostProfile.Cycle; i++)
                {
                    using var scope = NewDisposeScope();
                    monitor.Check();
                }
                checkMin[variant] = Math.Min(checkMin[variant], checks.Elapsed.TotalMilliseconds);
            }
        }
        double plainStep = plainMin / PairedStepLoop.BlockSteps;
        Console.WriteLine($"checks {name}: plain step {plainStep:F2} ms (minimum of {Rounds} blocks of {PairedStepLoop.BlockSteps})");
        foreach (var (variant, model, monitor) in sides)
        {
            double check = checkMin[variant] / MonitorCostProfile.Cycle;
            Console.WriteLine($"  {variant,-16} check {check:F3} ms per step  {(plainStep + check) / plainStep:F3}x of the plain step");
            monitor.Dispose();
            model.Dispose();
        }
        plainModel.Dispose();
        x.Dispose();
        y.Dispose();
    }
}
