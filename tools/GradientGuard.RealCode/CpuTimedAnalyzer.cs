using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
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
/// Each callback's wall time is read too, with what kept its thread off the core meanwhile (<see cref="Wait"/>): where
/// the telemetry's excess over the CPU time comes from.
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

        // Beside the CPU clock, the wall clock and what kept the thread off its core in between: the telemetry counts
        // that time, the CPU clock does not, and the two are told apart only per callback.
        public Action<T> Wrap<T>(Action<T> action) => argument =>
        {
            var switches = ThreadSwitches.Read();
            int collections = GC.CollectionCount(0);
            long wall = Stopwatch.GetTimestamp();
            long start = ThreadCpu.Nanoseconds();
            try
            {
                action(argument);
            }
            finally
            {
                long cpu = ThreadCpu.Nanoseconds() - start;
                long elapsed = Stopwatch.GetElapsedTime(wall).Ticks * 100;
                var after = ThreadSwitches.Read();
                var wait = GC.CollectionCount(0) != collections ? Wait.Collection
                    : after.Involuntary != switches.Involuntary ? Wait.Preempted
                    : after.Voluntary != switches.Voluntary ? Wait.Blocked
                    : Wait.None;
                ledger.Add(analyzer, cpu, elapsed, wait);
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

/// <summary>
/// Why a callback's wall time ran past its CPU time, by what happened on its thread in between (the first that
/// applies): a collection ran (its whole difference is put down to it, whatever else happened meanwhile); the thread
/// lost its core while still runnable (the scheduler gave the core to another thread, or the thread yielded it spinning
/// on a lock); the thread slept (a contended lock, a page read from disk).
/// </summary>
internal enum Wait
{
    None,
    Collection,
    Preempted,
    Blocked,
}

internal static class Waits
{
    /// <summary>How many kinds of <see cref="Wait"/> there are: the length of every per-kind array.</summary>
    public static readonly int Kinds = Enum.GetValues<Wait>().Length;
}

/// <summary>
/// The rules' callbacks in one pass, wall clock against CPU: the wall time the driver's telemetry counts, and the part
/// of it beyond the CPU time, split by <see cref="Wait"/> (count of callbacks, milliseconds beyond their CPU).
/// </summary>
internal sealed record CallbackWaits(double WallMilliseconds, ImmutableArray<(long Callbacks, double Milliseconds)> ByWait)
{
    public static readonly CallbackWaits None = new(0, ImmutableArray.CreateRange(Enumerable.Repeat((0L, 0.0), Waits.Kinds)));

    /// <summary>The wall time beyond the CPU time, each callback's counted from 0 (the sum of the parts).</summary>
    public double BeyondCpu => ByWait.Sum(w => w.Milliseconds);

    public (long Callbacks, double Milliseconds) this[Wait wait] => ByWait[(int)wait];

    public CallbackWaits Add(CallbackWaits other) =>
        new(WallMilliseconds + other.WallMilliseconds,
            ByWait.Zip(other.ByWait, (a, b) => (a.Callbacks + b.Callbacks, a.Milliseconds + b.Milliseconds)).ToImmutableArray());
}

/// <summary>The CPU time each analyzer's callbacks took, summed over threads, until <see cref="Take"/> empties it.</summary>
internal sealed class CpuLedger
{
    private readonly ConcurrentDictionary<string, Account> accounts = new(StringComparer.Ordinal);

    public void Add(string analyzer, long cpuNanoseconds, long wallNanoseconds, Wait wait)
    {
        var account = accounts.GetOrAdd(analyzer, _ => new Account());
        Interlocked.Add(ref account.Nanoseconds, cpuNanoseconds);
        Interlocked.Increment(ref account.Callbacks);
        Interlocked.Add(ref account.WallNanoseconds, wallNanoseconds);
        Interlocked.Increment(ref account.WaitCallbacks[(int)wait]);
        Interlocked.Add(ref account.WaitNanoseconds[(int)wait], Math.Max(0, wallNanoseconds - cpuNanoseconds));
    }

    /// <summary>
    /// Per analyzer since the last call: milliseconds of CPU and the number of callbacks; and, for every analyzer but
    /// <paramref name="besides"/> (the do-nothing one), their callbacks' wall clock against CPU. The accounts reset.
    /// </summary>
    public (ImmutableDictionary<string, (double Milliseconds, long Callbacks)> PerAnalyzer, CallbackWaits Waits) Take(string besides)
    {
        var taken = ImmutableDictionary.CreateBuilder<string, (double, long)>(StringComparer.Ordinal);
        var waits = CallbackWaits.None;
        foreach (var (name, account) in accounts)
        {
            long nanoseconds = Interlocked.Exchange(ref account.Nanoseconds, 0);
            long callbacks = Interlocked.Exchange(ref account.Callbacks, 0);
            long wall = Interlocked.Exchange(ref account.WallNanoseconds, 0);
            var byWait = Enumerable.Range(0, account.WaitCallbacks.Length)
                .Select(i => (Interlocked.Exchange(ref account.WaitCallbacks[i], 0), Interlocked.Exchange(ref account.WaitNanoseconds[i], 0) / 1e6))
                .ToImmutableArray();
            taken[name] = (nanoseconds / 1e6, callbacks);
            if (name != besides)
                waits = waits.Add(new CallbackWaits(wall / 1e6, byWait));
        }
        return (taken.ToImmutable(), waits);
    }

    private sealed class Account
    {
        public long Nanoseconds;
        public long Callbacks;
        public long WallNanoseconds;
        public readonly long[] WaitCallbacks = new long[Waits.Kinds];
        public readonly long[] WaitNanoseconds = new long[Waits.Kinds];
    }
}

/// <summary>How often the calling thread has given up its core (Linux, <c>getrusage(RUSAGE_THREAD)</c>).</summary>
internal static class ThreadSwitches
{
    private const int RusageThread = 1;

    /// <summary>Switches so far: voluntary (the thread slept) and involuntary (taken off its core while runnable).</summary>
    public static (long Voluntary, long Involuntary) Read()
    {
        if (getrusage(RusageThread, out var usage) != 0)
            throw new InvalidOperationException("getrusage(RUSAGE_THREAD) failed.");
        return (usage.VoluntarySwitches, usage.InvoluntarySwitches);
    }

    // struct rusage on 64-bit Linux: two timevals, then fourteen longs, the last two the context switches.
    [StructLayout(LayoutKind.Sequential)]
    private struct Usage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxResident, SharedText, UnsharedData, UnsharedStack, MinorFaults, MajorFaults, Swaps, BlocksIn, BlocksOut, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int getrusage(int who, out Usage usage);
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
