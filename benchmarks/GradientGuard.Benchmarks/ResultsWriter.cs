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
            double checkToFloorWithWeights = Mean("CheckOnly") / Mean("FloorWithWeightsOnly");
            double monitorClipToClip = Mean("MonitorClipOnly") / Mean("ClipGradNormOnly");
            double stepClip = Mean("StepWithMonitorClip") / Mean("StepWithClipGradNorm");
            md.AppendLine(CultureInfo.InvariantCulture, $"- `Check()` / floor of gradient norms: **{checkToFloor:F2}x** (target ≤ 1.1x: {(checkToFloor <= 1.1 ? "met" : "missed")}); / floor of gradient and weight norms (the same kernels Check runs): **{checkToFloorWithWeights:F2}x**.");
            md.AppendLine(CultureInfo.InvariantCulture, $"- monitor clip / `clip_grad_norm_` alone: **{monitorClipToClip:F2}x**; as whole steps: **{stepClip:F2}x** (target < 1: {(monitorClipToClip < 1 ? "met" : "missed")}).");
            md.AppendLine(CultureInfo.InvariantCulture, $"- with `WeightNormEvery = 10` (weight norms refreshed every 10th check): `Check()` / floor **{Mean("CheckWeightNormEvery10Only") / Mean("FloorOnly"):F2}x** (target ≤ 1.1x: {(Mean("CheckWeightNormEvery10Only") / Mean("FloorOnly") <= 1.1 ? "met" : "missed")}); monitor clip / `clip_grad_norm_` **{Mean("MonitorClipWeightNormEvery10Only") / Mean("ClipGradNormOnly"):F2}x** (target < 1: {(Mean("MonitorClipWeightNormEvery10Only") < Mean("ClipGradNormOnly") ? "met" : "missed")}).");
            md.AppendLine(CultureInfo.InvariantCulture, $"- step + `Check()` every step: **{Mean("StepWithCheck") / plain:F3}x** the plain step; every 10 steps: **{Mean("StepWithCheckEvery10") / plain:F3}x**.").AppendLine();
        }
    }

    private static void Analyzers(StringBuilder md, AnalyzerCost.Result result)
    {
        md.AppendLine("## Analyzers: share of compilation time").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A generated TorchSharp code base of {result.Files} files ({result.Lines:N0} lines: Sequential models, module classes with ModuleList loops, training loops, losses), compiled and emitted (`Compilation.Emit`: the work of a build without analyzers), then analyzed (sequentially) with: only an empty operation analyzer (the analyzer driver and its operation trees, which any operation-based analyzer in a build pays — the SDK's own CA rules included); and that plus every GradientGuard analyzer. Best of 3 after a warm-up. {result.Diagnostics:N0} GradientGuard diagnostics reported.").AppendLine();
        md.AppendLine("| measure | time (ms) | share of compile |").AppendLine("|---|---:|---:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| compile and emit | {result.Compile.TotalMilliseconds:F0} | 100 % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| analyzer driver + operation trees (empty analyzer) | {result.DriverBaseline.TotalMilliseconds:F0} | {100 * result.DriverBaseline.TotalMilliseconds / result.Compile.TotalMilliseconds:F1} % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| same + all GradientGuard analyzers | {result.WithGradientGuard.TotalMilliseconds:F0} | {100 * result.WithGradientGuard.TotalMilliseconds / result.Compile.TotalMilliseconds:F1} % |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **GradientGuard's own cost (difference)** | **{(result.WithGradientGuard - result.DriverBaseline).TotalMilliseconds:F0}** | **{100 * result.Share:F1} %** |").AppendLine();
        md.AppendLine("Per rule, from the compiler's telemetry (`logAnalyzerExecutionTime`; it charges shared work such as operation trees to whichever rule asks first, so it over-states each):").AppendLine();
        md.AppendLine("| analyzer | time (ms) |").AppendLine("|---|---:|");
        foreach (var (analyzer, time) in result.Analyzers.OrderByDescending(a => a.Time))
            md.AppendLine(CultureInfo.InvariantCulture, $"| {analyzer} | {time.TotalMilliseconds:F1} |");
        md.AppendLine();
        var top = result.Analyzers.OrderByDescending(a => a.Time).First();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Target all analyzers < 2 % of compilation: {(result.Share < 0.02 ? "met" : "missed")} ({100 * result.Share:F1} % of their own, plus the driver's {100 * result.DriverBaseline.TotalMilliseconds / result.Compile.TotalMilliseconds:F0} % when no other operation analyzer runs).");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Largest single rule by telemetry: {top.Analyzer}, {100 * top.Time.TotalMilliseconds / Math.Max(1, result.AnalyzersTotal.TotalMilliseconds):F0} % of the rules' telemetry time.").AppendLine();
    }

    private static string Param(BenchmarkReport report) =>
        report.BenchmarkCase.Parameters.Items.Count > 0 ? report.BenchmarkCase.Parameters.Items[0].Value?.ToString() ?? "" : "";
}
