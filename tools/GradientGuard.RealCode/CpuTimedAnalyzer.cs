using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

// A wrapper, not a rule: it registers exactly what the wrapped analyzer asks for (RS1012), and its concurrency and
// generated-code settings are the wrapped analyzer's own (RS1025, RS1026); it is only ever built by this command (RS1001).
#pragma warning disable RS1001, RS1012, RS1025, RS1026

namespace GradientGuard.RealCode;

/// <summary>
/// An analyzer run with the CPU time of its thread read around each of its callbacks (<c>--cpu</c>). The driver's
/// telemetry is wall time: a callback the scheduler preempts, or a collection stops, is charged the whole pause, and on
/// a machine shared with other work that stretches every callback of a few milliseconds by the load. The thread's CPU
/// clock does not run while the thread waits, so this sum moves much less from run to run: the figure to compare two
/// builds by, beside the telemetry the issue states its target in. (A collection the callback's own allocation
/// triggers still counts: the workstation collector works on that thread.) Reading that clock is a system call of
/// about 1.4 µs here, against a few nanoseconds for a callback that returns at once, so the callbacks are counted and
/// what the do-nothing analyzer's callbacks read, wrapped the same way, is taken off each (<see cref="AnalyzerRun"/>).
/// </summary>
internal sealed class CpuTimedAnalyzer : DiagnosticAnalyzer
{
    private readonly CpuLedger ledger;

    public CpuTimedAnalyzer(DiagnosticAnalyzer inner, CpuLedger ledger)
    {
        Inner = inner;
        this.ledger = ledger;
    }

    /// <summary>The analyzer whose callbacks are timed.</summary>
    public DiagnosticAnalyzer Inner { get; }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Inner.SupportedDiagnostics;

    public override void Initialize(AnalysisContext context) => Inner.Initialize(new TimedAnalysisContext(context, new Timer(ledger, Inner.GetType().Name)));

    /// <summary>Wraps each action so that its thread's CPU time is added to the analyzer's account.</summary>
    internal sealed class Timer
    {
        private readonly CpuLedger ledger;
        private readonly string analyzer;

        public Timer(CpuLedger ledger, string analyzer)
        {
            this.ledger = ledger;
            this.analyzer = analyzer;
        }

        public Action<T> Wrap<T>(Action<T> action) => argument =>
        {
            long start = ThreadCpu.Nanoseconds();
            try
            {
                action(argument);
            }
            finally
            {
                ledger.Add(analyzer, ThreadCpu.Nanoseconds() - start);
            }
        };
    }

    private sealed class TimedAnalysisContext : AnalysisContext
    {
        private readonly AnalysisContext inner;
        private readonly Timer timer;

        public TimedAnalysisContext(AnalysisContext inner, Timer timer)
        {
            this.inner = inner;
            this.timer = timer;
        }

        public override void EnableConcurrentExecution() => inner.EnableConcurrentExecution();
        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => inner.ConfigureGeneratedCodeAnalysis(analysisMode);
        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) =>
            inner.RegisterCompilationStartAction(timer.Wrap<CompilationStartAnalysisContext>(start => action(new TimedCompilationStartContext(start, timer))));
        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => inner.RegisterCompilationAction(timer.Wrap(action));
        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => inner.RegisterSemanticModelAction(timer.Wrap(action));
        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => inner.RegisterSymbolAction(timer.Wrap(action), symbolKinds);
        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unsupported();
        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => inner.RegisterCodeBlockAction(timer.Wrap(action));
        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => inner.RegisterSyntaxTreeAction(timer.Wrap(action));
        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => inner.RegisterAdditionalFileAction(timer.Wrap(action));
        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => inner.RegisterSyntaxNodeAction(timer.Wrap(action), syntaxKinds);
        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => throw Unsupported();
        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => inner.RegisterOperationAction(timer.Wrap(action), operationKinds);
        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) =>
            inner.RegisterOperationBlockStartAction(timer.Wrap<OperationBlockStartAnalysisContext>(block => action(new TimedOperationBlockStartContext(block, timer))));
        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => inner.RegisterOperationBlockAction(timer.Wrap(action));
    }

    // The same forwarding as TimedAnalysisContext: Roslyn gives the two contexts no common base to forward through.
    private sealed class TimedCompilationStartContext : CompilationStartAnalysisContext
    {
        private readonly CompilationStartAnalysisContext inner;
        private readonly Timer timer;

        public TimedCompilationStartContext(CompilationStartAnalysisContext inner, Timer timer)
            : base(inner.Compilation, inner.Options, inner.CancellationToken)
        {
            this.inner = inner;
            this.timer = timer;
        }

        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => inner.RegisterCompilationEndAction(timer.Wrap(action));
        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => inner.RegisterSemanticModelAction(timer.Wrap(action));
        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => inner.RegisterSymbolAction(timer.Wrap(action), symbolKinds);
        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unsupported();
        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => inner.RegisterCodeBlockAction(timer.Wrap(action));
        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => inner.RegisterSyntaxTreeAction(timer.Wrap(action));
        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => inner.RegisterAdditionalFileAction(timer.Wrap(action));
        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => inner.RegisterSyntaxNodeAction(timer.Wrap(action), syntaxKinds);
        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => throw Unsupported();
        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => inner.RegisterOperationAction(timer.Wrap(action), operationKinds);
        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) =>
            inner.RegisterOperationBlockStartAction(timer.Wrap<OperationBlockStartAnalysisContext>(block => action(new TimedOperationBlockStartContext(block, timer))));
        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => inner.RegisterOperationBlockAction(timer.Wrap(action));
    }

    private sealed class TimedOperationBlockStartContext : OperationBlockStartAnalysisContext
    {
        private readonly OperationBlockStartAnalysisContext inner;
        private readonly Timer timer;

        // The base constructor left to analyzer hosts is obsolete; the rules ask the block's context for nothing it lacks
        // (no control-flow graph).
#pragma warning disable CS0618
        public TimedOperationBlockStartContext(OperationBlockStartAnalysisContext inner, Timer timer)
            : base(inner.OperationBlocks, inner.OwningSymbol, inner.Compilation, inner.Options, inner.CancellationToken)
        {
            this.inner = inner;
            this.timer = timer;
        }
#pragma warning restore CS0618

        public override void RegisterOperationBlockEndAction(Action<OperationBlockAnalysisContext> action) => inner.RegisterOperationBlockEndAction(timer.Wrap(action));
        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => inner.RegisterOperationAction(timer.Wrap(action), operationKinds);
    }

    // The rules use none of these; a rule that starts to gets a clear error here rather than callbacks left untimed.
    private static NotSupportedException Unsupported() =>
        new("--cpu times operation, operation-block, symbol, semantic-model, syntax and compilation actions; this kind of action is not wrapped yet.");
}

/// <summary>The CPU time each analyzer's callbacks took, summed over threads, until <see cref="Take"/> empties it.</summary>
internal sealed class CpuLedger
{
    private readonly ConcurrentDictionary<string, Account> accounts = new(StringComparer.Ordinal);

    public void Add(string analyzer, long nanoseconds)
    {
        var account = accounts.GetOrAdd(analyzer, _ => new Account());
        Interlocked.Add(ref account.Nanoseconds, nanoseconds);
        Interlocked.Increment(ref account.Callbacks);
    }

    /// <summary>Per analyzer since the last call: milliseconds of CPU and the number of callbacks; the accounts reset.</summary>
    public ImmutableDictionary<string, (double Milliseconds, long Callbacks)> Take()
    {
        var taken = ImmutableDictionary.CreateBuilder<string, (double, long)>(StringComparer.Ordinal);
        foreach (var (name, account) in accounts)
        {
            long nanoseconds = Interlocked.Exchange(ref account.Nanoseconds, 0);
            long callbacks = Interlocked.Exchange(ref account.Callbacks, 0);
            taken[name] = (nanoseconds / 1e6, callbacks);
        }
        return taken.ToImmutable();
    }

    private sealed class Account
    {
        public long Nanoseconds;
        public long Callbacks;
    }
}

/// <summary>The calling thread's CPU clock (Linux, <c>CLOCK_THREAD_CPUTIME_ID</c>).</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsAvailable => OperatingSystem.IsLinux();

    public static long Nanoseconds()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var time) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}
