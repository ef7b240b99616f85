using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace GradientGuard.Reporting;

/// <summary>One training run, read back from the monitor's JSON Lines log (GradientMonitorOptions.JsonLinesPath).</summary>
public sealed class RunLog
{
    /// <summary>A run made of the entries read so far (by <see cref="Read"/>, or line by line through <see cref="ParseLine"/>).</summary>
    public RunLog(string name, IEnumerable<LogEntry> entries, IReadOnlyList<LogProblem>? problems = null, string? truncatedLastLine = null)
    {
        var list = entries.ToList();
        Name = name;
        Checks = list.OfType<CheckLine>().ToList();
        Diagnostics = list.OfType<DiagnosticLine>().ToList();
        Layers = Checks.SelectMany(c => c.GradientNorms.Keys).Distinct().ToList();
        Problems = problems ?? [];
        TruncatedLastLine = truncatedLastLine;
    }

    /// <summary>
    /// Why the log's last line was left out, or null: a last line that is not complete JSON is what a full disk (or a
    /// crash mid-write) leaves behind, so it is reported here, not in <see cref="Problems"/>, and the log still loads.
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

    /// <summary>The lines <see cref="Read"/> skipped because they were not log lines, each with its number and what was wrong.</summary>
    public IReadOnlyList<LogProblem> Problems { get; }

    /// <summary>
    /// The first diagnostic about the gradients themselves (vanishing, exploding, non-finite, dead units), or null:
    /// notices about the monitor's own work (no gradients to measure, a failed sink) are no verdict on the training run.
    /// </summary>
    public DiagnosticLine? FirstIssue => Diagnostics.FirstOrDefault(d => d.Kind is "Vanishing" or "Exploding" or "NonFinite" or "DeadUnits");

    /// <summary>healthy, vanishing, exploding (NaN/Infinity count as exploding) or dead-units: what <see cref="FirstIssue"/> says.</summary>
    public string Verdict => FirstIssue is not { } first ? "healthy" : first.Kind switch { "Vanishing" => "vanishing", "DeadUnits" => "dead-units", _ => "exploding" };

    /// <summary>
    /// Reads a log; the first line that is not a log line is an error naming the file, the line and what was wrong,
    /// except a last line cut short while it was written (see <see cref="TruncatedLastLine"/>).
    /// </summary>
    public static RunLog Load(string path)
    {
        var run = Read(path);
        return run.Problems.Count == 0 ? run : throw new InvalidDataException(run.Problems[0].ToString());
    }

    /// <summary>
    /// Reads every valid line of a log and keeps the others in <see cref="Problems"/> (a log cut off mid-line by a
    /// crash, a line edited by hand): nothing is lost from the valid lines. A missing file throws as File.ReadLines does.
    /// </summary>
    public static RunLog Read(string path)
    {
        var entries = new List<LogEntry>();
        var problems = new List<LogProblem>();
        int number = 0, lastWritten = 0;
        bool lastIsJson = true;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
                (lastWritten, lastIsJson) = (number, true);
            try
            {
                if (ParseLine(line) is { } entry)
                    entries.Add(entry);
            }
            catch (InvalidDataException e)
            {
                problems.Add(new LogProblem(path, number, e.Message));
                lastIsJson = e.InnerException is not JsonException;
            }
        }
        // A last line that is not JSON at all was cut short while it was written: left out, and said so apart.
        string? truncated = null;
        if (!lastIsJson && problems.Count > 0 && problems[^1].Line == lastWritten)
        {
            truncated = $"{problems[^1]} (the last line, cut short while it was written: left out)";
            problems.RemoveAt(problems.Count - 1);
        }
        return new RunLog(Path.GetFileNameWithoutExtension(path), entries, problems, truncated);
    }

    /// <summary>
    /// One line of a log: a <see cref="CheckLine"/>, a <see cref="DiagnosticLine"/>, or null for a blank line or a line
    /// type this reader does not know. A line that is not a log line throws <see cref="InvalidDataException"/> saying why.
    /// </summary>
    public static LogEntry? ParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
            return null;
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not JSON ({e.Message})", e);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            return String(root, "type") switch
            {
                "check" => new CheckLine(
                    Step(root),
                    Number(root, "globalNorm"),
                    root.TryGetProperty("loss", out var loss) && loss.ValueKind != JsonValueKind.Null ? Number(root, "loss") : null,
                    Array(root, "layers").ToDictionary(l => String(l, "name"), l => Number(l, "gradientNorm"))),
                "diagnostic" => new DiagnosticLine(
                    Step(root),
                    String(root, "kind"),
                    String(root, "ruleId"),
                    Array(root, "layers").Select(l => l.ValueKind == JsonValueKind.String ? l.GetString()! : throw Wrong("layers", "a list of names")).ToList(),
                    String(root, "cause"),
                    String(root, "advice")),
                _ => null,
            };
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"no \"{name}\" property");

    private static long Step(JsonElement root) =>
        Property(root, "step") is { ValueKind: JsonValueKind.Number } step && step.TryGetInt64(out long value) ? value : throw Wrong("step", "a whole number");

    private static string String(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw Wrong(name, "a string");

    private static JsonElement.ArrayEnumerator Array(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Array } value ? value.EnumerateArray() : throw Wrong(name, "a list");

    // Norms are numbers, or "NaN"/"Infinity" strings for non-finite values.
    private static double Number(JsonElement element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) => v,
        _ => throw Wrong(name, "a number"),
    };

    private static InvalidDataException Wrong(string name, string expected) => new($"\"{name}\" is not {expected}");
}

/// <summary>One line of a run's log.</summary>
public abstract record LogEntry(long Step);

/// <summary>One measured step of a run.</summary>
public sealed record CheckLine(long Step, double GlobalNorm, double? Loss, IReadOnlyDictionary<string, double> GradientNorms) : LogEntry(Step);

/// <summary>One diagnostic of a run.</summary>
public sealed record DiagnosticLine(long Step, string Kind, string RuleId, IReadOnlyList<string> Layers, string Cause, string Advice) : LogEntry(Step)
{
    /// <summary>One line for a terminal: kind, step, layers, cause, fix and rule.</summary>
    public override string ToString() =>
        $"{Kind} at step {Step}" + (Layers.Count > 0 ? $" in {string.Join(", ", Layers)}" : "") + $". Cause: {Cause}. Fix: {Advice}" + (RuleId.Length > 0 ? $" [{RuleId}]" : "");
}

/// <summary>A line of a log that is not a log line: where it is and what was wrong with it.</summary>
public sealed record LogProblem(string Path, int Line, string Message)
{
    /// <summary>"path, line N: what was wrong".</summary>
    public override string ToString() => $"{Path}, line {Line}: {Message}";
}
