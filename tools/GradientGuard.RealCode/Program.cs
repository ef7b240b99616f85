using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.RealCode;

/// <summary>
/// <c>dotnet run -c Release --project tools/GradientGuard.RealCode -- FOLDER [--each] [--runs N] [--wall] [--cpu] [--serial] [--only IDS] [--versus DLL] [--keystroke] [--reference PATH]...</c>:
/// every GradientGuard analyzer over a folder of C# sources that has no project file. Prints each diagnostic as
/// <c>file:line id severity message</c>, the count per rule, every analyzer exception (exit code 2 when there is one),
/// and the analyzers' time next to the compile time.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: GradientGuard.RealCode FOLDER [--each] [--runs N] [--wall] [--cpu] [--serial] [--only IDS] [--versus DLL] [--keystroke] [--reference PATH]...
          FOLDER            C# sources (every .cs file below it; bin/ and obj/ skipped), compiled against .NET and TorchSharp;
                            compile errors are tolerated; the analyzers get the options a build gives them (the SDK's
                            build properties, the .editorconfig and .globalconfig files in the folder, below and above
                            it), so gradientguard.* settings apply; dotnet_diagnostic.*.severity settings do not
          --each            compile each subfolder of FOLDER as a project of its own (a folder of copied repositories)
          --runs N          timed runs after the first (default 3; 0 skips timing); times are medians, and each
                            project's fastest run summed (the least stretched by collections and preemption)
          --wall            also time the analysis pass (wall clock and CPU time) with GradientGuard and with the do-nothing
                            analyzer alone, interleaved in each run: what GradientGuard adds to it, next to its telemetry;
                            and the bytes it adds to what the pass allocates, which a busy machine does not move
          --cpu             also read the CPU clock of the thread around every callback of the rules (Linux): their CPU
                            time, which waiting for a core or for another thread's collection does not stretch; and
                            their wall clock beyond it, by what kept the thread off its core (preempted, asleep, a collection)
          --serial          run the analyzers on one thread: a rule's telemetry is then its own time, not stretched while
                            the driver's other threads hold the cores (the compiler itself analyzes concurrently)
          --only IDS        only the rules with these ids (comma-separated, GG0003,GG0001), in both builds: a rule's cost
                            alone, or a profile of one rule
          --versus DLL      another build of GradientGuard.Analyzers.dll (an older commit's) run on the same compilations,
                            interleaved in each run: whether its diagnostics differ, and its telemetry, analysis wall clock,
                            CPU time and bytes allocated against this build's
          --keystroke       what an editor pays per keystroke instead of a build's cost: each file that names torch is edited
                            (a space at its end) and analyzed alone on a new compilation, as an editor analyzes the
                            document being typed in; GradientGuard's telemetry next to the compiler's time for the file
                            (and against another build's, each keystroke analyzed by both, with --versus); and whether
                            each file's diagnostics are those a build reports in it
          --reference PATH  one more assembly, or a folder of them, to compile against (repeatable)
        exit code: 0 done, 1 bad arguments, 2 an analyzer threw, 3 (--keystroke) a file's diagnostics differ from a build's
        """;

    public static int Main(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        var allRules = AnalyzersIn(typeof(GradientGuardAnalyzer).Assembly);
        Options options;
        IReadOnlyList<SourceFolder> projects;
        IReadOnlyList<MetadataReference> references;
        Dictionary<SourceFolder, AnalyzerOptions> analyzerOptions;
        ImmutableArray<DiagnosticAnalyzer> otherRules;
        try
        {
            options = Options.Parse(args, allRules.SelectMany(r => r.SupportedDiagnostics).Select(d => d.Id));
            otherRules = options.Versus is null ? ImmutableArray<DiagnosticAnalyzer>.Empty : Only(OtherBuild.Load(options.Versus), options.Only);
            projects = options.Each ? SourceFolder.ReadEach(options.Folder) : new[] { SourceFolder.Read(options.Folder) };
            references = References.Default(options.References);
            analyzerOptions = projects.ToDictionary(p => p, BuildOptions.For); // as a build hands them over: one object per file
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine(Usage);
            return 1;
        }

        var cpuLedger = options.Cpu ? new CpuLedger() : null;
        var rules = Timed(Only(allRules, options.Only), cpuLedger);
        otherRules = Timed(otherRules, cpuLedger);
        var reference = new ReferenceAnalyzer();
        // Timed too under --cpu: what its empty callbacks read is the clock's own cost, taken off the rules'.
        DiagnosticAnalyzer beside = cpuLedger is null ? reference : new CpuTimedAnalyzer(reference, cpuLedger);
        var analyzers = rules.Add(beside);
        string root = System.IO.Path.GetFullPath(options.Folder);
        AnalyzerRun Analyze(SourceFolder project, ImmutableArray<DiagnosticAnalyzer> set) =>
            AnalyzerRun.Analyze(project.Compile(references), set, analyzerOptions[project], concurrent: !options.Serial, cpuLedger);

        if (options.Keystroke)
        {
            var (threw, differing) = Keystrokes.Measure(projects, analyzerOptions, references, rules, otherRules, beside, options.Runs, concurrent: !options.Serial, path => System.IO.Path.GetRelativePath(root, path).Replace('\\', '/'));
            return threw > 0 ? 2 : differing > 0 ? 3 : 0;
        }

        // The first pass finds the diagnostics (and JIT-compiles everything); timed passes follow, compile and analysis interleaved.
        var first = projects.Select(p => Analyze(p, analyzers)).ToList();
        var otherAnalyzers = otherRules.IsEmpty ? otherRules : otherRules.Add(beside);
        var otherFirst = otherRules.IsEmpty ? null : projects.Select(p => Analyze(p, otherAnalyzers)).ToList();
        var versus = new Versus();
        var compileTimes = new List<double>();
        var ruleTimes = new List<double>();
        var referenceTimes = new List<double>();
        var perRule = new Dictionary<string, List<double>>();
        var wallWith = new List<double>();
        var wallFloor = new List<double>();
        var compileCpus = new List<double>();
        var cpuAdded = new List<double>();
        var allocatedWith = new List<double>();
        var allocatedAdded = new List<double>();
        var referenceOnly = ImmutableArray.Create<DiagnosticAnalyzer>(reference);
        FastestRuns fastestCompile = new(), fastestRules = new(), fastestCpu = new();
        var cpuTimes = new List<double>();
        var cpuPerRule = new Dictionary<string, List<double>>();
        var ruleCallbacks = new Dictionary<string, long>(); // per pass over all the projects
        var waitsPerRun = new List<CallbackWaits>();
        for (int run = 0; run < options.Runs; run++)
        {
            double compile = 0, ours = 0, oursCpu = 0, floor = 0, withWall = 0, floorWall = 0, compileCpu = 0, withCpu = 0, floorCpu = 0, withBytes = 0, floorBytes = 0;
            var ruleSums = new Dictionary<string, double>();
            var ruleCpuSums = new Dictionary<string, double>();
            var runCallbacks = new Dictionary<string, long>();
            var runWaits = CallbackWaits.None;
            for (int index = 0; index < projects.Count; index++)
            {
                var project = projects[index];
                var compiled = AnalyzerRun.CompileTimed(() => project.Compile(references));
                fastestCompile.Add(index, compiled.Wall.TotalMilliseconds);
                compile += compiled.Wall.TotalMilliseconds;
                compileCpu += compiled.Cpu.TotalMilliseconds;
                // The wall clock of an analysis pass alone (after the full bind) with only the do-nothing analyzer: the
                // driver's own work (binding every body again for operations), which any operation analyzer costs.
                // Before or after the measured pass, alternately, so neither gets the warmer process every time.
                if (options.Wall && run % 2 == 0)
                    AddFloor(Analyze(project, referenceOnly));
                // The other build, like the floor, before or after this one alternately.
                var otherBefore = !otherRules.IsEmpty && run % 2 == 1 ? Analyze(project, otherAnalyzers) : null;
                var timed = Analyze(project, analyzers);
                fastestRules.Add(index, Versus.Rules(timed));
                fastestCpu.Add(index, timed.RulesCpu);
                oursCpu += timed.RulesCpu;
                runWaits = runWaits.Add(timed.Waits);
                foreach (var (name, (time, callbacks)) in timed.CpuPerAnalyzer)
                {
                    ruleCpuSums[name] = ruleCpuSums.GetValueOrDefault(name) + time;
                    runCallbacks[name] = runCallbacks.GetValueOrDefault(name) + callbacks;
                }
                withWall += timed.AnalysisWall.TotalMilliseconds;
                withCpu += timed.AnalysisCpu.TotalMilliseconds;
                withBytes += timed.AnalysisAllocatedBytes;
                if (options.Wall && run % 2 == 1)
                    AddFloor(Analyze(project, referenceOnly));
                if (!otherRules.IsEmpty)
                    versus.Add(timed, otherBefore ?? Analyze(project, otherAnalyzers));

                void AddFloor(AnalyzerRun alone)
                {
                    floorWall += alone.AnalysisWall.TotalMilliseconds;
                    floorCpu += alone.AnalysisCpu.TotalMilliseconds;
                    floorBytes += alone.AnalysisAllocatedBytes;
                }
                foreach (var (name, time) in timed.TimePerAnalyzer)
                {
                    if (name == nameof(ReferenceAnalyzer))
                    {
                        floor += time.TotalMilliseconds;
                        continue;
                    }
                    ours += time.TotalMilliseconds;
                    ruleSums[name] = ruleSums.GetValueOrDefault(name) + time.TotalMilliseconds;
                }
            }
            compileTimes.Add(compile);
            wallWith.Add(withWall);
            wallFloor.Add(floorWall);
            compileCpus.Add(compileCpu);
            cpuAdded.Add(withCpu - floorCpu);
            allocatedWith.Add(Mebibytes(withBytes));
            allocatedAdded.Add(Mebibytes(withBytes - floorBytes));
            ruleTimes.Add(ours);
            cpuTimes.Add(oursCpu);
            waitsPerRun.Add(runWaits);
            ruleCallbacks = runCallbacks; // the same work every run
            foreach (var (name, time) in ruleCpuSums)
                (cpuPerRule.TryGetValue(name, out var list) ? list : cpuPerRule[name] = new List<double>()).Add(time);
            referenceTimes.Add(floor);
            foreach (var (name, time) in ruleSums)
                (perRule.TryGetValue(name, out var list) ? list : perRule[name] = new List<double>()).Add(time);
            versus.EndRun();
        }

        var diagnostics = Sorted(first);
        foreach (var diagnostic in diagnostics)
            Console.WriteLine(Line(diagnostic, root));

        Console.WriteLine();
        Console.WriteLine("Diagnostics per rule:");
        var ids = rules.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().OrderBy(i => i, StringComparer.Ordinal);
        foreach (string id in ids)
            Console.WriteLine($"  {id}  {diagnostics.Count(d => d.Id == id)}");
        Console.WriteLine($"  total   {diagnostics.Count(d => d.Id != "AD0001")}");

        var exceptions = first.SelectMany(r => r.Exceptions).ToList();
        Console.WriteLine();
        Console.WriteLine(exceptions.Count == 0 ? "Analyzer exceptions: none" : $"Analyzer exceptions: {exceptions.Count}");
        foreach (string exception in exceptions)
            Console.WriteLine("  " + exception.Replace("\n", "\n    ", StringComparison.Ordinal));

        if (otherFirst is not null)
        {
            Console.WriteLine();
            Versus.PrintDiagnostics(options.Versus!, Sorted(otherFirst).Select(d => Line(d, root)).ToList(), diagnostics.Select(d => Line(d, root)).ToList());
        }

        Console.WriteLine();
        int files = projects.Sum(p => p.Files.Count);
        var errors = first.SelectMany(r => r.CompileErrors).ToList();
        string commonErrors = string.Join(", ", errors.GroupBy(e => e.Id).OrderByDescending(g => g.Count()).Take(5).Select(g => $"{g.Key} x{g.Count()}"));
        Console.WriteLine($"Compiler: {CompilerName}");
        Console.WriteLine($"Sources: {files} files in {projects.Count} project(s); compile errors tolerated: {errors.Count} in {errors.Select(e => e.Location.SourceTree?.FilePath).Distinct().Count()} files{(errors.Count > 0 ? $" (most: {commonErrors})" : "")}");
        // What a new compiler process pays: the first pass JIT-compiles the rules' code and runs it unoptimized (the timed
        // runs after it are what a warm compiler server pays). Not a share: its compile is as cold as the rules.
        double firstRules = first.Sum(r => r.TimePerAnalyzer.Where(p => p.Key != nameof(ReferenceAnalyzer)).Sum(p => p.Value.TotalMilliseconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"First pass (the rules' code JIT-compiled, as in a new compiler process): GradientGuard analyzers {firstRules:F0} ms; compile and analysis {first.Sum(r => r.Wall.TotalMilliseconds):F0} ms"));
        if (options.Runs > 0)
        {
            double compile = Median(compileTimes), ours = Median(ruleTimes), floor = Median(referenceTimes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Time (median of {options.Runs} runs, {CollectorName}): compile {compile:F0} ms; GradientGuard analyzers {ours:F0} ms ({100 * ours / compile:F1} % of compile); a do-nothing operation analyzer {floor:F1} ms ({100 * floor / compile:F2} %)"));
            // Each run's share beside the median: single runs spread widely (threads waiting for the cores, collections,
            // which rule binds a body first), which the median alone hides.
            Console.WriteLine("  GradientGuard's share per run: " + string.Join(", ", ruleTimes.Zip(compileTimes, (r, c) => (100 * r / c).ToString("F1", CultureInfo.InvariantCulture))) + " %");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  each project's fastest run, summed: compile {fastestCompile.Sum:F0} ms; GradientGuard analyzers {fastestRules.Sum:F0} ms ({100 * fastestRules.Sum / fastestCompile.Sum:F1} % of compile)"));
            Console.WriteLine("  per analyzer: " + string.Join(", ", perRule.OrderByDescending(p => Median(p.Value))
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{RuleId(rules, p.Key)} {Median(p.Value):F0} ms"))));
            if (options.Cpu)
            {
                double cpuMedian = Median(cpuTimes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  CPU time of the rules' callbacks (--cpu): median {cpuMedian:F0} ms ({100 * cpuMedian / compile:F1} % of compile; per run {string.Join(", ", cpuTimes.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))} ms); each project's fastest run, summed: {fastestCpu.Sum:F0} ms ({100 * fastestCpu.Sum / fastestCompile.Sum:F1} % of compile)"));
                Console.WriteLine("    per analyzer: " + string.Join(", ", cpuPerRule.OrderByDescending(p => Median(p.Value))
                    .Select(p => string.Create(CultureInfo.InvariantCulture, $"{RuleId(rules, p.Key)} {Median(p.Value):F0} ms"))));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    callbacks per pass: {string.Join(", ", ruleCallbacks.OrderByDescending(p => p.Value).Select(p => $"{RuleId(rules, p.Key)} {p.Value}"))}; the do-nothing analyzer's CPU per callback, the clock's own cost, taken off each"));
                PrintWaits(waitsPerRun);
            }
            if (otherFirst is not null)
                versus.PrintTimes(options.Versus!);
            if (options.Wall)
            {
                double with = Median(wallWith), without = Median(wallFloor);
                var added = wallWith.Zip(wallFloor, (w, f) => w - f).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  analysis pass, wall clock: with GradientGuard {with:F0} ms, with the do-nothing analyzer alone {without:F0} ms; GradientGuard adds {Median(added):F0} ms ({100 * Median(added) / compile:F1} % of compile; per run {string.Join(", ", added.Select(a => a.ToString("F0", CultureInfo.InvariantCulture)))} ms)"));
                double cpu = Median(compileCpus);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  CPU time (all threads; not stretched while other processes hold the cores): compile {cpu:F0} ms; GradientGuard adds {Median(cpuAdded):F0} ms to the analysis pass ({100 * Median(cpuAdded) / cpu:F1} % of compile; per run {string.Join(", ", cpuAdded.Select(a => a.ToString("F0", CultureInfo.InvariantCulture)))} ms)"));
                // The one figure a busy machine does not move: the same work allocates the same bytes. What GradientGuard
                // allocates beyond the driver's own binding is what its rules make the collector sweep up.
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  allocated in the analysis pass (all threads): with GradientGuard {Median(allocatedWith):F1} MiB; GradientGuard adds {Median(allocatedAdded):F1} MiB (per run {string.Join(", ", allocatedAdded.Select(a => a.ToString("F1", CultureInfo.InvariantCulture)))} MiB)"));
            }
        }
        return exceptions.Count == 0 && diagnostics.All(d => d.Id != "AD0001") ? 0 : 2;
    }

    // Where the telemetry's excess over the CPU time comes from: the same callbacks' wall clock, and the part of it
    // beyond their CPU (the clock's own cost in both), split by what kept the thread off its core. The split is one
    // run's, the run whose excess is the median, so that its parts add up to its total.
    private static void PrintWaits(List<CallbackWaits> runs)
    {
        var median = runs.OrderBy(r => r.BeyondCpu).ElementAt((runs.Count - 1) / 2);
        string Part(Wait wait, string what) => string.Create(CultureInfo.InvariantCulture,
            $"{what} {median[wait].Callbacks} callbacks, {median[wait].Milliseconds:F0} ms");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    wall clock in the same callbacks: median {Median(runs.Select(r => r.WallMilliseconds).ToList()):F0} ms; beyond their CPU, per run {string.Join(", ", runs.Select(r => r.BeyondCpu.ToString("F0", CultureInfo.InvariantCulture)))} ms; in the median run, {median.BeyondCpu:F0} ms: " +
            $"{Part(Wait.Preempted, "taken off the core while runnable,")}; {Part(Wait.Blocked, "asleep (a contended lock, the disk),")}; {Part(Wait.Collection, "during a collection,")}; {Part(Wait.None, "none of these,")}"));
    }

    /// <summary>
    /// The compiler this process runs: the SDK's own build, precompiled (ReadyToRun), as csc and VBCSCompiler run it, or
    /// the package's, JIT-compiled (the project file copies the SDK's over it when their versions match, and says why).
    /// </summary>
    internal static string CompilerName
    {
        get
        {
            var assembly = typeof(Microsoft.CodeAnalysis.CSharp.CSharpCompilation).Assembly;
            string version = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion.Split('+')[0] ?? assembly.GetName().Version!.ToString();
            using var file = System.IO.File.OpenRead(assembly.Location);
            using var image = new System.Reflection.PortableExecutable.PEReader(file);
            return image.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 }
                ? $"Roslyn {version}, precompiled (ReadyToRun), as the SDK's csc and VBCSCompiler run it"
                : $"Roslyn {version}, JIT-compiled, not the compiler's own build (the SDK's is precompiled)";
        }
    }

    /// <summary>The collector this process runs under: the compiler's own is the server collector (the project file says why).</summary>
    internal static string CollectorName => System.Runtime.GCSettings.IsServerGC ? "server collector, as the compiler" : "workstation collector, not the compiler's";

    /// <summary>
    /// Every analyzer in an assembly (this build's GradientGuard.Analyzers, or another's under <c>--versus</c>), found by
    /// reflection so a new rule needs no change here, in the order of their type names. Only those marked
    /// <c>[DiagnosticAnalyzer]</c>, as a compiler loads them: this tool's <see cref="CpuTimedAnalyzer"/> wraps rules and is none.
    /// </summary>
    internal static ImmutableArray<DiagnosticAnalyzer> AnalyzersIn(System.Reflection.Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.IsDefined(typeof(DiagnosticAnalyzerAttribute), inherit: false))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    // The rules wrapped so that their callbacks' CPU time is read (--cpu), or as they are.
    private static ImmutableArray<DiagnosticAnalyzer> Timed(ImmutableArray<DiagnosticAnalyzer> rules, CpuLedger? ledger) =>
        ledger is null ? rules : rules.Select(r => (DiagnosticAnalyzer)new CpuTimedAnalyzer(r, ledger)).ToImmutableArray();

    // The rules that report one of `ids` (all of them when none is given).
    private static ImmutableArray<DiagnosticAnalyzer> Only(ImmutableArray<DiagnosticAnalyzer> rules, IReadOnlyList<string> ids) =>
        ids.Count == 0 ? rules : rules.Where(r => r.SupportedDiagnostics.Any(d => ids.Contains(d.Id, StringComparer.OrdinalIgnoreCase))).ToImmutableArray();

    private static List<Diagnostic> Sorted(IEnumerable<AnalyzerRun> runs) =>
        runs.SelectMany(r => r.Diagnostics)
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();

    // file:line id severity message, the file relative to the folder; "(no file)" for a diagnostic with no source location
    // (GG9001's, on an .editorconfig key).
    private static string Line(Diagnostic diagnostic, string root)
    {
        var span = diagnostic.Location.GetLineSpan();
        string where = string.IsNullOrEmpty(span.Path)
            ? "(no file)"
            : $"{System.IO.Path.GetRelativePath(root, span.Path).Replace('\\', '/')}:{span.StartLinePosition.Line + 1}";
        return $"{where} {diagnostic.Id} {diagnostic.Severity.ToString().ToLowerInvariant()} {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";
    }

    internal static string RuleId(ImmutableArray<DiagnosticAnalyzer> rules, string analyzer) =>
        rules.FirstOrDefault(r => AnalyzerRun.NameOf(r) == analyzer)?.SupportedDiagnostics.FirstOrDefault()?.Id ?? analyzer;

    internal static double Mebibytes(double bytes) => bytes / (1024.0 * 1024.0);

    internal static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record Options(string Folder, bool Each, int Runs, bool Wall, bool Cpu, bool Serial, IReadOnlyList<string> Only, string? Versus, bool Keystroke, IReadOnlyList<string> References)
    {
        public static Options Parse(string[] args, IEnumerable<string> ruleIds)
        {
            string? folder = null, versus = null;
            bool each = false, wall = false, cpu = false, serial = false, keystroke = false;
            var only = new List<string>();
            int runs = 3;
            var references = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--each":
                        each = true;
                        break;
                    case "--wall":
                        wall = true;
                        break;
                    case "--cpu":
                        if (!ThreadCpu.IsAvailable)
                            throw new ArgumentException("--cpu reads the thread CPU clock of Linux; this is another system.");
                        cpu = true;
                        break;
                    case "--serial":
                        serial = true;
                        break;
                    case "--keystroke":
                        keystroke = true;
                        break;
                    case "--only":
                        string[] ids = i + 1 < args.Length && !args[i + 1].StartsWith('-')
                            ? args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            : Array.Empty<string>();
                        if (ids.Length == 0)
                            throw new ArgumentException("--only takes rule ids, comma-separated (GG0003,GG0001).");
                        only.AddRange(ids);
                        break;
                    case "--runs":
                        if (i + 1 >= args.Length || !int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out runs) || runs > 100)
                            throw new ArgumentException("--runs takes a whole number from 0 to 100.");
                        break;
                    case "--versus":
                        if (i + 1 >= args.Length)
                            throw new ArgumentException("--versus takes the path of a GradientGuard.Analyzers.dll.");
                        versus = args[++i];
                        break;
                    case "--reference":
                        if (i + 1 >= args.Length)
                            throw new ArgumentException("--reference takes a path.");
                        references.Add(args[++i]);
                        break;
                    default:
                        if (args[i].StartsWith('-') || folder is not null)
                            throw new ArgumentException($"unexpected argument '{args[i]}'.");
                        folder = args[i];
                        break;
                }
            }
            var known = ruleIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (only.FirstOrDefault(id => !known.Contains(id)) is { } unknown)
                throw new ArgumentException($"--only: no rule has the id '{unknown}'.");
            if (keystroke && (wall || cpu))
                throw new ArgumentException("--keystroke measures the rules' telemetry per keystroke: not with --wall or --cpu.");
            if (keystroke && runs == 0)
                throw new ArgumentException("--keystroke needs a timed run after the first (--runs 1 or more).");
            return new Options(folder ?? throw new ArgumentException("no FOLDER given."), each, runs, wall, cpu, serial, only, versus, keystroke, references);
        }
    }
}
