using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace GradientGuard.Reporting;

/// <summary>One training run, read back from the monitor's JSON Lines log (GradientMonitorOptions.JsonLinesPath).</summary>
public sealed class RunLog
{
    private RunLog(string name, IReadOnlyList<CheckLine> checks, IReadOnlyList<DiagnosticLine> diagnostics)
    {
        Name = name;
        Checks = checks;
        Diagnostics = diagnostics;
        Layers = checks.SelectMany(c => c.GradientNorms.Keys).Distinct().ToList();
    }

    /// <summary>The run's name: the log file's name without its extension.</summary>
    public string Name { get; }

    /// <summary>One entry per measured step, in order.</summary>
    public IReadOnlyList<CheckLine> Checks { get; }

    /// <summary>The diagnostics, in the order they were raised.</summary>
    public IReadOnlyList<DiagnosticLine> Diagnostics { get; }

    /// <summary>Every layer that appears in the log, in first-appearance order (input side first).</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>
    /// The first diagnostic about the gradients themselves (vanishing, exploding, non-finite), or null: notices about
    /// the monitor's own work (no gradients to measure, a failed sink) are no verdict on the training run.
    /// </summary>
    public DiagnosticLine? FirstIssue => Diagnostics.FirstOrDefault(d => d.Kind is "Vanishing" or "Exploding" or "NonFinite");

    /// <summary>healthy, vanishing or exploding (NaN/Infinity count as exploding): what <see cref="FirstIssue"/> says.</summary>
    public string Verdict => FirstIssue is not { } first ? "healthy" : first.Kind == "Vanishing" ? "vanishing" : "exploding";

    /// <summary>Reads a log; a line that is not JSON is a clear error naming the file and line.</summary>
    public static RunLog Load(string path)
    {
        var checks = new List<CheckLine>();
        var diagnostics = new List<DiagnosticLine>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                switch (root.GetProperty("type").GetString())
                {
                    case "check":
                        checks.Add(new CheckLine(
                            root.GetProperty("step").GetInt64(),
                            Number(root.GetProperty("globalNorm")),
                            root.TryGetProperty("loss", out var loss) && loss.ValueKind != JsonValueKind.Null ? Number(loss) : null,
                            root.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!, l => Number(l.GetProperty("gradientNorm")))));
                        break;
                    case "diagnostic":
                        diagnostics.Add(new DiagnosticLine(
                            root.GetProperty("step").GetInt64(),
                            root.GetProperty("kind").GetString()!,
                            root.GetProperty("ruleId").GetString()!,
                            root.GetProperty("layers").EnumerateArray().Select(l => l.GetString()!).ToList(),
                            root.GetProperty("cause").GetString()!,
                            root.GetProperty("advice").GetString()!));
                        break;
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}, line {number}: not a GradientGuard log line ({e.Message}).", e);
            }
        }
        return new RunLog(Path.GetFileNameWithoutExtension(path), checks, diagnostics);
    }

    // Norms are numbers, or "NaN"/"Infinity" strings for non-finite values.
    private static double Number(JsonElement element) => element.ValueKind == JsonValueKind.String
        ? double.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : element.GetDouble();
}

/// <summary>One measured step of a run.</summary>
public sealed record CheckLine(long Step, double GlobalNorm, double? Loss, IReadOnlyDictionary<string, double> GradientNorms);

/// <summary>One diagnostic of a run.</summary>
public sealed record DiagnosticLine(long Step, string Kind, string RuleId, IReadOnlyList<string> Layers, string Cause, string Advice);
