using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace GradientGuard.Output;

/// <summary>One JSON object per line: a "check" line per measured step and a "diagnostic" line per diagnostic, flushed at once so a crash loses nothing.</summary>
internal sealed class JsonLinesLog : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly StreamWriter writer;

    public JsonLinesLog(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void WriteCheck(GradientReport report) => Write(new
    {
        type = "check",
        step = report.Step,
        loss = report.Loss,
        globalNorm = report.GlobalNorm,
        clipCoefficient = report.ClipCoefficient,
        stepSkipped = report.StepSkipped,
        layers = report.Layers.Select(l => new
        {
            name = l.Name,
            gradientNorm = l.GradientNorm,
            weightNorm = l.WeightNorm,
            ratio = l.GradientToWeightRatio,
            nonFinite = l.NonFiniteCount,
        }),
    });

    public void WriteDiagnostic(GradientDiagnostic d) => Write(new
    {
        type = "diagnostic",
        step = d.Step,
        kind = d.Kind.ToString(),
        ruleId = d.RuleId,
        layers = d.Layers,
        measure = d.Measure,
        value = d.Value,
        threshold = d.Threshold,
        cause = d.Cause,
        advice = d.Advice,
    });

    public void Dispose() => writer.Dispose();

    private void Write(object line) => writer.WriteLine(JsonSerializer.Serialize(line, Json));
}
