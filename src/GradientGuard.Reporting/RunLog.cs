using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace GradientGuard.Reporting;

/// <summary>One training run, read back from the monitor's JSON Lines log (GradientMonitorOptions.JsonLinesPath).</summary>
public sealed class RunLog
{
    private RunLog(string name, IReadOnlyList<CheckLine> checks, IReadOnlyList<DiagnosticLine> diagnostics, string? truncatedLastLine)
    {
        Name = name;
        TruncatedLastLine = truncatedLastLine;
        Checks = checks;
        Diagnostics = diagnostics;
        Layers = checks.SelectMany(c => c.GradientNorms.Keys).Distinct().ToList();
    }

    /// <summary>
    /// Why the log's last line was left out, or null: a last line that is not complete JSON is what a full disk (or a
    /// crash mid-write) leaves behind, so it is reported here instead of rejecting the log.
    /// </summary>
    public string? TruncatedLastLine { get; }

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

    /// <summary>
    /// Reads a log; a line that is not JSON is a clear error naming the file and line, except the last one, which may
    /// have been cut short while it was written (see <see cref="TruncatedLastLine"/>).
    /// </summary>
    public static RunLog Load(string path)
    {
        var checks = new List<CheckLine>();
        var diagnostics = new List<DiagnosticLine>();
        string[] lines = File.ReadAllLines(path);
        int last = Array.FindLastIndex(lines, l => !string.IsNullOrWhiteSpace(l));
        string? truncated = null;
        int number = 0;
        foreach (string line in lines)
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
            catch (JsonException e) when (number - 1 == last)
            {
                truncated = $"{path}, line {number}: the last line is not complete JSON and was left out ({e.Message}).";
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}, line {number}: not a GradientGuard log line ({e.Message}).", e);
            }
        }
        return new RunLog(Path.GetFileNameWithoutExtension(path), checks, diagnostics, truncated);
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
