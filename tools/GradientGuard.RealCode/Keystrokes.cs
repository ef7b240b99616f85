using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.RealCode;

/// <summary>
/// <c>--keystroke</c>: what GradientGuard costs an editor per keystroke. Each file that names <c>torch</c> is edited in
/// turn (a space at its end) and analyzed alone, as an editor analyzes the document being typed in: a new compilation
/// (every other file's syntax tree the same object as before, as in an editor's next snapshot), the file's own compiler
/// diagnostics (its bodies bound), then the analyzers on that file's semantic model. Each analyzer's compilation-start
/// work runs again for every keystroke; what it keeps per syntax tree it keeps for every tree but the edited one.
/// Reported: GradientGuard's telemetry next to the compiler's time for the file, per keystroke, against another build's
/// with <c>--versus</c>, and whether each file's diagnostics are the ones a build reports in it.
/// </summary>
internal static class Keystrokes
{
    /// <summary>
    /// Measures and prints; returns on how many keystrokes this build's analyzers threw (AD0001), the uncounted first
    /// round included, and in how many files a keystroke's diagnostics differ from a build's (this build's, first
    /// round). With <paramref name="otherRules"/> (another build's, <c>--versus</c>), each keystroke is analyzed by both
    /// builds in turn, each on a compilation of its own, which goes first alternating from keystroke to keystroke and
    /// from run to run; the other build's exceptions are printed, not counted.
    /// </summary>
    public static (int Threw, int Differing) Measure(IReadOnlyList<SourceFolder> projects, IReadOnlyDictionary<SourceFolder, AnalyzerOptions> analyzerOptions,
        IReadOnlyList<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> rules,
        ImmutableArray<DiagnosticAnalyzer> otherRules, DiagnosticAnalyzer beside, int runs, bool concurrent, Func<string, string> relative)
    {
        var keystrokes = new List<Keystroke>();
        var others = new List<Keystroke>();
        var differing = new List<string>();
        int threw = 0, otherThrew = 0;
        foreach (var project in projects)
        {
            var options = new CompilationWithAnalyzersOptions(analyzerOptions[project], onAnalyzerException: null,
                concurrentAnalysis: concurrent, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false);
            var compilation = project.Compile(references);
            var edits = compilation.SyntaxTrees.Where(t => t.GetText().ToString().Contains("torch", StringComparison.Ordinal)).ToList();
            // What a build reports in each file: an editor must show the same in the file being typed in (a space at its
            // end moves no line). Compared once per file, at the first round.
            var built = compilation.WithAnalyzers(rules, options).GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult()
                .Where(d => d.Location.SourceTree is not null)
                .ToLookup(d => d.Location.SourceTree!.FilePath, Describe);
            // The first round JIT-compiles and warms what an editor has warm after its first keystrokes; it is not counted.
            for (int run = 0; run <= runs; run++)
            {
                for (int i = 0; i < edits.Count; i++)
                {
                    var tree = edits[i];
                    var text = tree.GetText();
                    var edited = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(text.Length, 0), " ")));
                    bool otherFirst = (run + i) % 2 == 1;
                    var other = !otherRules.IsEmpty && otherFirst ? Type(otherRules, ref otherThrew) : null;
                    var mine = Type(rules, ref threw);
                    if (!otherRules.IsEmpty && !otherFirst)
                        other = Type(otherRules, ref otherThrew);
                    if (run == 0)
                        continue;
                    keystrokes.Add(mine);
                    if (other is not null)
                        others.Add(other);

                    Keystroke Type(ImmutableArray<DiagnosticAnalyzer> set, ref int exceptions)
                    {
                        var withAnalyzers = compilation.ReplaceSyntaxTree(tree, edited).WithAnalyzers(set.Add(beside), options);
                        var model = withAnalyzers.Compilation.GetSemanticModel(edited);
                        var clock = Stopwatch.StartNew();
                        model.GetDiagnostics(cancellationToken: CancellationToken.None);
                        double compile = clock.Elapsed.TotalMilliseconds;
                        var diagnostics = withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, null, CancellationToken.None).GetAwaiter().GetResult();
                        if (diagnostics.Any(d => d.Id == "AD0001"))
                            exceptions++;
                        if (run == 0 && set == rules)
                            Compare(relative(tree.FilePath), built[tree.FilePath], diagnostics.Where(d => d.Location.SourceTree == edited).Select(Describe), differing);
                        var times = set.ToDictionary(AnalyzerRun.NameOf, r => withAnalyzers.GetAnalyzerTelemetryInfoAsync(r, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalMilliseconds);
                        return new Keystroke(relative(tree.FilePath), run, compile, times);
                    }
                }
            }
        }

        Console.WriteLine();
        if (keystrokes.Count == 0)
        {
            Console.WriteLine($"Keystrokes: no file names torch; analyzer exceptions: {threw}.");
            return (threw, 0);
        }
        int files = keystrokes.Select(k => k.File).Distinct().Count();
        // Per run, every file's keystroke summed: the run's total, then the median over runs.
        var runsOfMine = keystrokes.GroupBy(k => k.Run).ToList();
        double compileSum = Program.Median(runsOfMine.Select(g => g.Sum(k => k.Compile)).ToList());
        var rulesPerRun = runsOfMine.Select(g => g.Sum(k => k.Rules)).ToList();
        double rulesSum = Program.Median(rulesPerRun), rulesPerKeystroke = Program.Median(keystrokes.Select(k => k.Rules).ToList());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Keystrokes ({files} {(files == 1 ? "file that names" : "files that name")} torch, each edited and analyzed alone, {runs} runs, {Program.CollectorName}; analyzer exceptions: {threw}):"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  per keystroke (median): the file's compile {Program.Median(keystrokes.Select(k => k.Compile).ToList()):F2} ms, GradientGuard {rulesPerKeystroke:F2} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  every file once (median of runs): compile {compileSum:F0} ms, GradientGuard {rulesSum:F0} ms ({100 * rulesSum / compileSum:F1} % of compile)"));
        var perAnalyzer = rules.Select(AnalyzerRun.NameOf).Select(name => (Name: name, Ms: Program.Median(runsOfMine.Select(g => g.Sum(k => k.Times[name])).ToList())));
        Console.WriteLine("  per analyzer, every file once: " + string.Join(", ", perAnalyzer.OrderByDescending(a => a.Ms)
            .Select(a => string.Create(CultureInfo.InvariantCulture, $"{Program.RuleId(rules, a.Name)} {a.Ms:F0} ms"))));
        Console.WriteLine("  costliest keystrokes (median of runs): " + string.Join("; ", keystrokes.GroupBy(k => k.File)
            .Select(g => (File: g.Key, Rules: Program.Median(g.Select(k => k.Rules).ToList()), Compile: Program.Median(g.Select(k => k.Compile).ToList())))
            .OrderByDescending(f => f.Rules).Take(5)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.File} {f.Rules:F1} ms (compile {f.Compile:F1} ms)"))));
        Console.WriteLine(differing.Count == 0
            ? $"  diagnostics per keystroke: the same as a build's, in every file"
            : $"  diagnostics per keystroke: NOT the same as a build's, in {differing.Count} {(differing.Count == 1 ? "file" : "files")}:");
        foreach (string difference in differing)
            Console.WriteLine("    " + difference);
        if (others.Count > 0)
        {
            var otherPerRun = others.GroupBy(k => k.Run).Select(g => g.Sum(k => k.Rules)).ToList();
            var differences = rulesPerRun.Zip(otherPerRun, (m, o) => m - o).ToList();
            var paired = keystrokes.Zip(others, (m, o) => m.Rules - o.Rules).ToList(); // the same (run, file) at each index
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  versus the other build: per keystroke (median) this {rulesPerKeystroke:F2} ms, other {Program.Median(others.Select(k => k.Rules).ToList()):F2} ms, this − other {Program.Median(paired):F2} ms (paired per keystroke)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  versus the other build: every file once, this {rulesSum:F0} ms, other {Program.Median(otherPerRun):F0} ms; this − other by run {string.Join(", ", differences.Select(d => d.ToString("F0", CultureInfo.InvariantCulture)))} ms (median {Program.Median(differences):F0}); the other build's analyzer exceptions: {otherThrew}"));
        }
        return (threw, differing.Count);
    }

    // A diagnostic as a build and an editor must both report it: line, id and message.
    private static string Describe(Diagnostic diagnostic) =>
        $"{diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1} {diagnostic.Id} {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";

    private static void Compare(string file, IEnumerable<string> build, IEnumerable<string> keystroke, List<string> differing)
    {
        var inBuild = build.OrderBy(d => d, StringComparer.Ordinal).ToList();
        var inEditor = keystroke.OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (inBuild.SequenceEqual(inEditor))
            return;
        differing.Add($"{file}: the build only [{string.Join("; ", inBuild.Except(inEditor))}], the keystroke only [{string.Join("; ", inEditor.Except(inBuild))}]");
    }

    private sealed record Keystroke(string File, int Run, double Compile, IReadOnlyDictionary<string, double> Times)
    {
        public double Rules => Times.Values.Sum();
    }
}
