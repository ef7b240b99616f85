using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GradientGuard.Benchmarks;

// Runs the runtime, paired-loop and analyzer benchmarks (or some of them: `runtime`, `paired`, `analyzers`) and writes
// benchmarks/results.md; `profile [models]` prints where the default monitor's per-step cost goes;
// `kernels [models]` which libtorch kernel computes its reductions fastest; `checks [models]` the checks alone, by
// minima that other load on the machine hardly moves; `analyzers-vs OTHER.dll...` other builds of the analyzers
// against this one.
// Before any tensor exists: libtorch's CPU memory comes from this allocator (NativeAllocator says why).
Console.WriteLine("Native allocator: " + NativeAllocator.Settle());
bool runtime = args.Length == 0 || args.Contains("runtime");
bool paired = args.Length == 0 || args.Contains("paired");
bool analyzers = args.Length == 0 || args.Contains("analyzers");
if (args.Length > 0 && args[0] == "profile")
{
    // A diagnosis of the default monitor's cost, part by part; prints only.
    MonitorCostProfile.Run(args.Length > 1 ? args.Skip(1) : PairedStepLoop.Models);
    return 0;
}
if (args.Length > 0 && args[0] == "kernels")
{
    // Which libtorch kernel computes the monitor's reductions fastest here; prints only.
    KernelMicrobench.Run(args.Length > 1 ? args.Skip(1) : Enumerable.Repeat("mlp", 1));
    return 0;
}
if (args.Length > 0 && args[0] == "checks")
{
    // Each part's cost per check, from minima over interleaved blocks; prints only.
    CheckCostMinima.Run(args.Length > 1 ? args.Skip(1) : PairedStepLoop.Models);
    return 0;
}
if (args.Length > 0 && args[0] == "analyzers-vs")
{
    // Other builds of the analyzers against this one, interleaved on the generated code base; prints only.
    if (args.Length < 2)
    {
        Console.Error.WriteLine("usage: GradientGuard.Benchmarks analyzers-vs PATH/TO/OTHER/GradientGuard.Analyzers.dll...");
        return 2;
    }
    AnalyzerComparison.Run(args[1..]);
    return 0;
}
if (args.Any(a => a is not ("runtime" or "paired" or "analyzers")))
{
    Console.Error.WriteLine("usage: GradientGuard.Benchmarks [runtime] [paired] [analyzers] | profile [cnn|lstm|mlp ...] | kernels [cnn|lstm|mlp ...] | checks [cnn|lstm|mlp ...] | analyzers-vs OTHER.dll...");
    return 2;
}

string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "GradientGuard.sln")))
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run from inside the repository.");
string results = Path.Combine(root, "benchmarks", "results.md");

// The paired loop writes its section after each model, so a long run interrupted keeps what it measured.
var pairedResult = paired ? PairedStepLoop.Measure(rows => ResultsWriter.Write(null, rows, null, results)) : null;


var analyzerResult = analyzers ? AnalyzerCost.Measure() : null;

// In process: BenchmarkDotNet's usual generated child project would not get libtorch's build-time setup.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithIterationCount(6).WithToolchain(InProcessEmitToolchain.Instance)) // 6 iterations, not 3: ratios near 1.1 need the tighter interval
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = runtime ? BenchmarkRunner.Run<MonitorOverheadBenchmarks>(config) : null;

Console.WriteLine(ResultsWriter.Write(summary, pairedResult, analyzerResult, results));
Console.WriteLine($"Written to {results}");
return 0;
