using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Other builds of the analyzers against this one, side by side on the generated all-TorchSharp code base: builds
/// without GradientGuard, with each other build and with this one rotate in every round, so that load on the machine
/// falls on all of them alike, and each round gives one paired difference. Prints only: it is how a change to the
/// analyzers is judged by the build's wall time as well as by telemetry, which counts only the time inside the rules'
/// callbacks (a change that moves work out of them lowers it, whatever the build pays; benchmarks/README.md, session 8).
/// </summary>
internal static class AnalyzerComparison
{
    public static void Run(IReadOnlyList<string> otherBuilds, int coldRounds = 9, int warmRounds = 15)
    {
        foreach (string otherBuild in otherBuilds)
        {
            if (!File.Exists(otherBuild) || !string.Equals(Path.GetFileName(otherBuild), "GradientGuard.Analyzers.dll", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"'{otherBuild}' is not a GradientGuard.Analyzers.dll.");
        }
        string directory = Path.Combine(Path.GetTempPath(), "gradientguard-compare-" + Guid.NewGuid().ToString("N"));
        try
        {
            AnalyzerCost.Generate(directory, Enumerable.Range(0, 400).Select(CodeBase.File));
            AnalyzerCost.Build(directory, AnalyzerCost.ThisBuild, server: false, restore: true); // restores; not kept
            var variants = new List<(string Name, string? Analyzer)> { ("without", null) };
            variants.AddRange(otherBuilds.Select((b, i) => ($"other{i + 1}", (string?)Path.GetFullPath(b))));
            variants.Add(("this", AnalyzerCost.ThisBuild));
            foreach (var (name, analyzer) in variants.Skip(1))
                Console.WriteLine($"{name,-8} {analyzer}");
            Compare("new compiler process per build", directory, variants, coldRounds, server: false, warmups: 0);
            Compare("compiler server, warm", directory, variants, warmRounds, server: true, warmups: 2);
        }
        finally
        {
            AnalyzerCost.Run(Path.GetTempPath(), "build-server", "shutdown");
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    private static void Compare(string mode, string directory, List<(string Name, string? Analyzer)> variants, int rounds, bool server, int warmups)
    {
        for (int i = 0; i < warmups; i++)
        {
            foreach (var variant in variants)
                AnalyzerCost.Build(directory, variant.Analyzer, server, restore: false);
        }
        var reports = variants.Select(_ => new List<AnalyzerCost.BuildReport>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            // A rotating order: no variant always builds first, or right after another one.
            for (int k = 0; k < variants.Count; k++)
            {
                int v = (round + k) % variants.Count;
                reports[v].Add(AnalyzerCost.Build(directory, variants[v].Analyzer, server, restore: false));
            }
        }

        Console.WriteLine($"\n{mode}, {rounds} rounds (ms; median [min–max])");
        for (int v = 0; v < variants.Count; v++)
        {
            var csc = reports[v].Select(r => r.Csc).ToList();
            Console.WriteLine($"  {variants[v].Name,-8} Csc {Ms(AnalyzerCost.Median(csc))} [{Ms(csc.Min())}–{Ms(csc.Max())}]   GradientGuard telemetry {Ms(AnalyzerCost.Median(reports[v].Select(r => r.GradientGuard)))}");
        }
        for (int v = 1; v < variants.Count; v++)
        {
            var added = reports[v].Zip(reports[0], (with, without) => with.Csc - without.Csc).ToList();
            Console.WriteLine($"  {variants[v].Name} − without, paired by round: median {Ms(AnalyzerCost.Median(added))} [{Ms(added.Min())}–{Ms(added.Max())}]");
        }
        for (int v = 1; v < variants.Count - 1; v++)
        {
            var change = reports[^1].Zip(reports[v], (now, before) => now.Csc - before.Csc).ToList();
            Console.WriteLine($"  this − {variants[v].Name}, paired by round: median {Ms(AnalyzerCost.Median(change))} [{Ms(change.Min())}–{Ms(change.Max())}]");
        }
    }

    private static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
}
