using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.RealCode;

/// <summary>What one pass of the analyzers over one compilation found and cost.</summary>
internal sealed record AnalyzerRun(
    ImmutableArray<Diagnostic> Diagnostics,
    IReadOnlyList<string> Exceptions,
    IReadOnlyList<Diagnostic> CompileErrors,
    TimeSpan Wall,
    TimeSpan AnalysisWall,
    TimeSpan AnalysisCpu,
    long AnalysisAllocatedBytes,
    IReadOnlyDictionary<string, TimeSpan> TimePerAnalyzer,
    IReadOnlyDictionary<string, (double Milliseconds, long Callbacks)> CpuPerAnalyzer,
    CallbackWaits Waits)
{
    /// <summary>
    /// Compiles, then analyzes the same compilation (the analyzers reuse its binding, as in the compiler), with each
    /// analyzer's execution time logged. Analyzer exceptions are collected, never thrown. <paramref name="concurrent"/>
    /// false runs the analyzers on one thread. With <paramref name="cpuLedger"/> given (the analyzers wrapped in
    /// <see cref="CpuTimedAnalyzer"/>), the CPU time of each analyzer's callbacks in this pass is read from it too, and
    /// the rules' callbacks' wall clock against it (<see cref="Waits"/>).
    /// </summary>
    public static AnalyzerRun Analyze(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, AnalyzerOptions options, bool concurrent, CpuLedger? cpuLedger = null)
    {
        var exceptions = new List<string>();
        var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
            options,
            onAnalyzerException: (exception, analyzer, diagnostic) =>
            {
                lock (exceptions)
                    exceptions.Add($"{analyzer.GetType().Name}: {exception.GetType().Name}: {exception.Message} ({diagnostic.Location.GetLineSpan()})\n{exception.StackTrace}");
            },
            concurrentAnalysis: concurrent,
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: false));
        cpuLedger?.Take(nameof(ReferenceAnalyzer)); // what an earlier pass left
        var clock = Stopwatch.StartNew();
        var compilerDiagnostics = withAnalyzers.Compilation.GetDiagnostics(CancellationToken.None);
        var analysis = Stopwatch.StartNew();
        var cpu = ProcessCpu();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var result = withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
        cpu = ProcessCpu() - cpu;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        analysis.Stop();
        clock.Stop();
        var cpuPass = cpuLedger?.Take(nameof(ReferenceAnalyzer));
        var all = compilerDiagnostics.AddRange(result.GetAllDiagnostics());
        // By type name, summed: another build (--versus) may bring analyzers named like the ones beside it.
        var times = result.AnalyzerTelemetryInfo.GroupBy(p => NameOf(p.Key))
            .ToDictionary(g => g.Key, g => TimeSpan.FromTicks(g.Sum(p => p.Value.ExecutionTime.Ticks)));
        var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error && !IsAnalyzerDiagnostic(d)).ToList();
        var analyzerDiagnostics = all.Where(IsAnalyzerDiagnostic).ToImmutableArray();
        return new AnalyzerRun(
            analyzerDiagnostics,
            exceptions,
            errors,
            clock.Elapsed,
            analysis.Elapsed,
            cpu,
            allocated,
            times,
            NetOfTheClock(cpuPass?.PerAnalyzer),
            cpuPass?.Waits ?? CallbackWaits.None);
    }

    /// <summary>
    /// The rules' CPU time with what reading the clock costs inside each callback taken off: the do-nothing analyzer's
    /// CPU per callback in the same pass (its callbacks do nothing but be called and timed), never below zero.
    /// </summary>
    private static IReadOnlyDictionary<string, (double Milliseconds, long Callbacks)> NetOfTheClock(ImmutableDictionary<string, (double Milliseconds, long Callbacks)>? raw)
    {
        if (raw is null)
            return new Dictionary<string, (double, long)>();
        double perCallback = raw.TryGetValue(nameof(ReferenceAnalyzer), out var empty) && empty.Callbacks > 0 ? empty.Milliseconds / empty.Callbacks : 0;
        return raw.Where(p => p.Key != nameof(ReferenceAnalyzer))
            .ToDictionary(p => p.Key, p => (Math.Max(0, p.Value.Milliseconds - p.Value.Callbacks * perCallback), p.Value.Callbacks));
    }

    /// <summary>The CPU milliseconds of all the rules' callbacks in this pass (0 without <c>--cpu</c>).</summary>
    public double RulesCpu => CpuPerAnalyzer.Values.Sum(v => v.Milliseconds);

    /// <summary>An analyzer's type name; a timed one's is the name of the analyzer it times.</summary>
    public static string NameOf(DiagnosticAnalyzer analyzer) =>
        (analyzer is CpuTimedAnalyzer timed ? timed.Inner : analyzer).GetType().Name;

    /// <summary>The wall time of compiling alone (every body bound, every compiler diagnostic computed; no emit).</summary>
    public static TimeSpan Compile(Func<Compilation> create) => CompileTimed(create).Wall;

    /// <summary>The wall time and the process's CPU time (all threads) of compiling alone.</summary>
    public static (TimeSpan Wall, TimeSpan Cpu) CompileTimed(Func<Compilation> create)
    {
        var clock = Stopwatch.StartNew();
        var cpu = ProcessCpu();
        create().GetDiagnostics(CancellationToken.None);
        return (clock.Elapsed, ProcessCpu() - cpu);
    }

    // CPU time, unlike the wall clock, does not grow while other processes hold the cores. It still moves between runs
    // (background compilation, collections): read it over several runs.
    private static TimeSpan ProcessCpu() => Process.GetCurrentProcess().TotalProcessorTime;

    // AD0001 (an analyzer threw) is the driver's; GG ids are the rules'.
    private static bool IsAnalyzerDiagnostic(Diagnostic diagnostic) =>
        diagnostic.Id.StartsWith("GG", StringComparison.Ordinal) || diagnostic.Id == "AD0001";
}
