using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace GradientGuard.RealCode;

/// <summary>
/// This build of the analyzers against another (<c>--versus</c>), pass by pass on the same compilations: telemetry,
/// the rules' CPU time under <c>--cpu</c>, and the analysis pass's wall clock, CPU time and bytes allocated, each summed
/// over the projects of a run and paired by run; the telemetry and the rules' CPU time also as each project's fastest
/// run, summed.
/// </summary>
internal sealed class Versus
{
    private readonly List<(double This, double Other)> telemetry = new(), wall = new(), cpu = new(), allocated = new(), cpuOfRules = new();
    private readonly FastestRuns thisFastest = new(), otherFastest = new(), thisFastestCpu = new(), otherFastestCpu = new();
    private double thisRulesCpu, otherRulesCpu, thisTelemetry, otherTelemetry, thisWall, otherWall, thisCpu, otherCpu, thisAllocated, otherAllocated;
    private int project;
    private bool any;

    public void Add(AnalyzerRun mine, AnalyzerRun other)
    {
        any = true;
        thisTelemetry += Rules(mine);
        otherTelemetry += Rules(other);
        thisRulesCpu += mine.RulesCpu;
        otherRulesCpu += other.RulesCpu;
        thisFastest.Add(project, Rules(mine));
        otherFastest.Add(project, Rules(other));
        thisFastestCpu.Add(project, mine.RulesCpu);
        otherFastestCpu.Add(project++, other.RulesCpu);
        thisWall += mine.AnalysisWall.TotalMilliseconds;
        otherWall += other.AnalysisWall.TotalMilliseconds;
        thisCpu += mine.AnalysisCpu.TotalMilliseconds;
        otherCpu += other.AnalysisCpu.TotalMilliseconds;
        thisAllocated += Program.Mebibytes(mine.AnalysisAllocatedBytes);
        otherAllocated += Program.Mebibytes(other.AnalysisAllocatedBytes);
    }

    public void EndRun()
    {
        if (!any)
            return; // no --versus
        telemetry.Add((thisTelemetry, otherTelemetry));
        wall.Add((thisWall, otherWall));
        cpu.Add((thisCpu, otherCpu));
        allocated.Add((thisAllocated, otherAllocated));
        if (thisRulesCpu > 0)
            cpuOfRules.Add((thisRulesCpu, otherRulesCpu));
        thisRulesCpu = otherRulesCpu = 0;
        thisTelemetry = otherTelemetry = thisWall = otherWall = thisCpu = otherCpu = thisAllocated = otherAllocated = 0;
        project = 0;
        any = false;
    }

    /// <summary>Whether the other build reports what this one does, line for line.</summary>
    public static void PrintDiagnostics(string otherPath, IReadOnlyList<string> otherDiagnostics, IReadOnlyList<string> diagnostics)
    {
        Console.WriteLine($"Versus {otherPath}:");
        var onlyThis = Without(diagnostics, otherDiagnostics);
        var onlyOther = Without(otherDiagnostics, diagnostics);
        Console.WriteLine(onlyThis.Count == 0 && onlyOther.Count == 0
            ? $"    diagnostics: the same {diagnostics.Count}"
            : $"    diagnostics DIFFER: {onlyThis.Count} only with this build, {onlyOther.Count} only with the other");
        foreach (string line in onlyThis)
            Console.WriteLine("      this:  " + line);
        foreach (string line in onlyOther)
            Console.WriteLine("      other: " + line);
    }

    // The lines of `lines` left after taking out each line of `taken` once: two identical reports against one count.
    private static List<string> Without(IReadOnlyList<string> lines, IReadOnlyList<string> taken)
    {
        var left = taken.GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var result = new List<string>();
        foreach (string line in lines)
        {
            if (left.TryGetValue(line, out int count) && count > 0)
                left[line] = count - 1;
            else
                result.Add(line);
        }
        return result;
    }

    public void PrintTimes(string otherPath)
    {
        Console.WriteLine($"  versus {otherPath}:");
        Row("GradientGuard telemetry", telemetry);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    GradientGuard telemetry, each project's fastest run summed: this {thisFastest.Sum:F0} ms, other {otherFastest.Sum:F0} ms; this − other {thisFastest.Sum - otherFastest.Sum:F0} ms"));
        Row("GradientGuard CPU time (--cpu)", cpuOfRules);
        if (thisFastestCpu.Sum > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    GradientGuard CPU time, each project's fastest run summed: this {thisFastestCpu.Sum:F0} ms, other {otherFastestCpu.Sum:F0} ms; this − other {thisFastestCpu.Sum - otherFastestCpu.Sum:F0} ms"));
        }
        Row("analysis pass, wall clock", wall);
        Row("analysis pass, CPU time (all threads)", cpu);
        // Unlike the times, the same work allocates the same however busy the machine is: a change of a few MiB shows.
        Row("analysis pass, allocated (all threads)", allocated, "MiB", "F1");
    }

    private static void Row(string what, List<(double This, double Other)> runs, string unit = "ms", string format = "F0")
    {
        if (runs.Count == 0)
            return;
        var differences = runs.Select(r => r.This - r.Other).ToList();
        string Text(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        Console.WriteLine(
            $"    {what}: this {Text(Program.Median(runs.Select(r => r.This).ToList()))} {unit}, other {Text(Program.Median(runs.Select(r => r.Other).ToList()))} {unit}; this − other by run {string.Join(", ", differences.Select(Text))} {unit} (median {Text(Program.Median(differences))})");
    }

    // GradientGuard's rules, not the do-nothing reference analyzer beside them.
    internal static double Rules(AnalyzerRun run) =>
        run.TimePerAnalyzer.Where(p => p.Key != nameof(ReferenceAnalyzer)).Sum(p => p.Value.TotalMilliseconds);
}
