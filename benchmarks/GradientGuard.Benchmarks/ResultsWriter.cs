using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Reports;

namespace GradientGuard.Benchmarks;

/// <summary>Writes benchmarks/results.md: the runtime table per model with ratios, the analyzer cost, and each target met or missed.</summary>
internal static class ResultsWriter
{
    public static string Write(Summary? runtime, AnalyzerCost.Result? analyzers, string path)
    {
        var md = new StringBuilder();
        md.AppendLine("# GradientGuard benchmarks").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Environment.ProcessorCount} cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), CPU libtorch, Release build. Regenerate with `dotnet run -c Release --project benchmarks/GradientGuard.Benchmarks`.").AppendLine();
        if (runtime is not null)
            Runtime(md, runtime);
        if (analyzers is not null)
            Analyzers(md, analyzers);
        File.WriteAllText(path, md.ToString());
        return md.ToString();
    }

    private static void Runtime(StringBuilder md, Summary summary)
    {
        md.AppendLine("## Runtime: monitor overhead per training step").AppendLine();
        md.AppendLine("BenchmarkDotNet (in process, short run), one process for all cases. *Step* rows are a whole training step (forward, backward, step) with the named work between backward and step; *Only* rows time that work alone on the last step's gradients.").AppendLine();
        foreach (var model in summary.Reports.Select(r => Param(r)).Distinct())
        {
            var reports = summary.Reports.Where(r => Param(r) == model).ToDictionary(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name);
            double Mean(string name) => reports.TryGetValue(name, out var r) && r.ResultStatistics is { } s ? s.Mean / 1e6 : double.NaN;
            long Allocated(string name) => reports.TryGetValue(name, out var r) ? r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? 0 : 0;
            double plain = Mean("PlainStep");

            md.AppendLine(CultureInfo.InvariantCulture, $"### {model}").AppendLine();
            md.AppendLine("| benchmark | mean (ms) | ratio to plain step | allocated (B/op) |").AppendLine("|---|---:|---:|---:|");
            foreach (var name in reports.Keys)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Mean(name):F3} | {Mean(name) / plain:F3} | {Allocated(name):N0} |");
            md.AppendLine();

            double checkToFloor = Mean("CheckOnly") / Mean("FloorOnly");
            double exactToFloorWithWeights = Mean("CheckExactWeightsOnly") / Mean("FloorWithWeightsOnly");
            double monitorClipToClip = Mean("MonitorClipOnly") / Mean("ClipGradNormOnly");
            double stepClip = Mean("StepWithMonitorClip") / Mean("StepWithClipGradNorm");
            md.AppendLine(CultureInfo.InvariantCulture, $"- `Check()` (defaults) / floor of gradient norms: **{checkToFloor:F2}x** (target ≤ 1.1x: {(checkToFloor <= 1.1 ? "met" : "missed")}).");
            md.AppendLine(CultureInfo.InvariantCulture, $"- `Check()` with `WeightNormEvery = 1` / floor of gradient and weight norms (the same kernels): **{exactToFloorWithWeights:F2}x**.");
            md.AppendLine(CultureInfo.InvariantCulture, $"- monitor clip / `clip_grad_norm_` alone: **{monitorClipToClip:F2}x** (target < 1: {(monitorClipToClip < 1 ? "met" : "missed")}); as whole steps: **{stepClip:F2}x**.");
            md.AppendLine(CultureInfo.InvariantCulture, $"- step + `Check()` every step: **{Mean("StepWithCheck") / plain:F3}x** the plain step; every 10 steps: **{Mean("StepWithCheckEvery10") / plain:F3}x**.").AppendLine();
        }
    }

    private static void Analyzers(StringBuilder md, AnalyzerCost.Result result)
    {
        double Percent(TimeSpan t) => 100 * t.TotalMilliseconds / result.CompileWithout.TotalMilliseconds;
        md.AppendLine("## Analyzers: share of compilation time").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A generated TorchSharp code base of {result.Files} files ({result.Lines:N0} lines: Sequential models, module classes with ModuleList loops, training loops, losses; {result.Diagnostics:N0} GradientGuard warnings) built with `dotnet build --no-incremental -p:ReportAnalyzer=true`, {result.Builds} times without and {result.Builds} times with the GradientGuard analyzers, alternating, after a warm-up build. The SDK's default analyzers run in every build. Medians.").AppendLine();
        md.AppendLine("| measure | time (ms) | share of compile |").AppendLine("|---|---:|---:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| Csc task without GradientGuard (range {result.RangeWithout.Min.TotalMilliseconds:F0}–{result.RangeWithout.Max.TotalMilliseconds:F0}) | {result.CompileWithout.TotalMilliseconds:F0} | 100 % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| SDK's own analyzers (Microsoft.CodeAnalysis.NetAnalyzers, compiler telemetry) | {result.SdkAnalyzers.TotalMilliseconds:F0} | {Percent(result.SdkAnalyzers):F1} % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| Csc task with GradientGuard (range {result.RangeWith.Min.TotalMilliseconds:F0}–{result.RangeWith.Max.TotalMilliseconds:F0}) | {result.CompileWith.TotalMilliseconds:F0} | {Percent(result.CompileWith):F1} % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **wall time GradientGuard adds** | **{(result.CompileWith - result.CompileWithout).TotalMilliseconds:F0}** | **{100 * result.WallShare:F1} %** |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **GradientGuard, compiler telemetry** | **{result.Telemetry.TotalMilliseconds:F0}** | **{100 * result.TelemetryShare:F1} %** |").AppendLine();
        md.AppendLine("Per rule, from the compiler's telemetry (summed over the compiler's threads; it charges a rule for binding it triggers first, which the build would otherwise do for another analyzer, so it over-states each):").AppendLine();
        md.AppendLine("| rule | time (ms) | share of compile | share of GradientGuard |").AppendLine("|---|---:|---:|---:|");
        double total = Math.Max(1, result.Rules.Sum(r => r.Time.TotalMilliseconds));
        foreach (var (rule, time) in result.Rules.OrderByDescending(r => r.Time))
            md.AppendLine(CultureInfo.InvariantCulture, $"| {rule} | {time.TotalMilliseconds:F0} | {Percent(time):F1} % | {100 * time.TotalMilliseconds / total:F0} % |");
        md.AppendLine();
        var top = result.Rules.OrderByDescending(r => r.Time).First();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Target all GradientGuard analyzers < 2 % of compilation: {(result.TelemetryShare < 0.02 ? "met" : "missed")} ({100 * result.TelemetryShare:F1} % by telemetry, {100 * result.WallShare:F1} % by wall time).");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Largest single rule: {top.Rule}, {100 * top.Time.TotalMilliseconds / total:F0} % of GradientGuard's telemetry.").AppendLine();
    }

    private static string Param(BenchmarkReport report) =>
        report.BenchmarkCase.Parameters.Items.Count > 0 ? report.BenchmarkCase.Parameters.Items[0].Value?.ToString() ?? "" : "";
}
