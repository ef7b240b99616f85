using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>What a findings file holds: its findings, and what was wrong with it (null when nothing was).</summary>
internal sealed class FindingsRead
{
    public FindingsRead(IReadOnlyList<ObservedFinding> findings, string? problem)
    {
        Findings = findings;
        Problem = problem;
    }

    public IReadOnlyList<ObservedFinding> Findings { get; }

    /// <summary>Why the file, or some of its findings, could not be read; null for a good file.</summary>
    public string? Problem { get; }
}

/// <summary>
/// Finds the findings file among the additional files (by its name, <c>gradientguard.findings.json</c>, or any name ending
/// in it) and reads it, once per text: the IDE hands every compilation the same text object until the file changes, so a
/// keystroke re-reads nothing. Never throws; a file that is not valid JSON, not a findings file, or of an unknown version
/// gives no findings and a problem that GG9002 reports.
/// </summary>
internal static class FindingsFileReader
{
    public const string FileName = "gradientguard.findings.json";
    public const string Format = "gradientguard-findings";
    public const int Version = 1;

    // Far above what the runtime writes (it keeps 100 findings): anything larger is not ours.
    private const int MaxLength = 8 * 1024 * 1024;

    private static readonly ConditionalWeakTable<SourceText, FindingsRead> Cache = new();

    /// <summary>The findings file among the additional files, or null (the common case: then the observed rules register nothing).</summary>
    public static AdditionalText? Find(AnalyzerOptions options)
    {
        foreach (var file in options.AdditionalFiles)
        {
            if (IsFindingsFile(file.Path))
                return file;
        }
        return null;
    }

    public static bool IsFindingsFile(string path) => path.EndsWith(FileName, StringComparison.OrdinalIgnoreCase);

    public static FindingsRead Read(AdditionalText file, CancellationToken cancellation)
    {
        var text = file.GetText(cancellation);
        if (text is null)
            return new FindingsRead(Array.Empty<ObservedFinding>(), "the file could not be read");
        return Cache.GetValue(text, Parse);
    }

    /// <summary>Reads findings JSON; public for the reader's tests.</summary>
    public static FindingsRead Parse(SourceText text)
    {
        if (text.Length > MaxLength)
            return Failed($"the file is {text.Length} characters long, more than a findings file ever is ({MaxLength})");
        var root = MiniJson.Parse(text.ToString(), out string? error);
        if (error is not null)
            return Failed("it is not valid JSON: " + error);
        if (root is not Dictionary<string, object?> file || !(file.TryGetValue("format", out var format) && format as string == Format))
            return Failed($"it is not a GradientGuard findings file (no \"format\": \"{Format}\")");
        if (!file.TryGetValue("version", out var version) || version is not double v || v != Version)
            return Failed($"its version ({Describe(file.TryGetValue("version", out var given) ? given : null)}) is not one this analyzer reads ({Version}); update the GradientGuard package, or delete the file and train again");
        if (!file.TryGetValue("findings", out var list) || list is not List<object?> entries)
            return Failed("it has no \"findings\" array");

        var findings = new List<ObservedFinding>();
        string? firstProblem = null;
        int skipped = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            string? problem = null;
            if (entries[i] is Dictionary<string, object?> entry && Finding(entry, ref problem) is { } finding)
            {
                findings.Add(finding);
            }
            else
            {
                skipped++;
                firstProblem ??= $"finding {i + 1}: {problem ?? "not an object"}";
            }
        }
        return new FindingsRead(findings, skipped == 0 ? null : $"{skipped} of its {entries.Count} findings were skipped ({firstProblem})");
    }

    private static FindingsRead Failed(string problem) => new(Array.Empty<ObservedFinding>(), problem);

    private static string Describe(object? value) => value switch
    {
        null => "none",
        double d => d.ToString(CultureInfo.InvariantCulture),
        string s => "\"" + s + "\"",
        _ => "not a number",
    };

    private static ObservedFinding? Finding(Dictionary<string, object?> entry, ref string? problem)
    {
        string? modelType = Text(entry, "modelType");
        string? kind = Text(entry, "kind");
        if (modelType is null || kind is null)
        {
            problem = "no \"modelType\" or \"kind\"";
            return null;
        }
        // "Ns.Net, Assembly, Version=..., Culture=..., PublicKeyToken=..." (a nested type's name holds '+'; a generic one's
        // arguments are assembly-qualified inside [[...]], so the type ends at the first comma outside brackets).
        int comma = TopLevelComma(modelType);
        if (comma <= 0)
        {
            problem = $"\"modelType\" '{modelType}' is not assembly-qualified";
            return null;
        }
        string typeName = modelType.Substring(0, comma).Trim();
        int arguments = typeName.IndexOf('[');
        if (arguments > 0)
            typeName = typeName.Substring(0, arguments); // Net`1[[...]] -> Net`1, the definition the source declares
        string assembly = modelType.Substring(comma + 1).Split(',')[0].Trim();
        if (!(entry.TryGetValue("layers", out var layersValue) && Modules(layersValue) is { } layers))
        {
            problem = "no \"layers\" array of {\"name\", \"type\"} objects";
            return null;
        }
        var children = entry.TryGetValue("children", out var childrenValue) ? Modules(childrenValue) : null;
        DateTimeOffset? time = Text(entry, "time") is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        string? callFile = null;
        int callLine = 0;
        if (entry.TryGetValue("callSite", out var site) && site is Dictionary<string, object?> call && Text(call, "file") is { Length: > 0 } file &&
            call.TryGetValue("line", out var line) && line is double l && l >= 1 && l <= int.MaxValue)
        {
            callFile = file;
            callLine = (int)l;
        }
        double step = Number(entry, "step", 0);
        return new ObservedFinding(typeName, assembly, kind, Text(entry, "rule") ?? "", step >= 0 && step <= long.MaxValue / 2 ? (long)step : 0, layers, children,
            Text(entry, "measure") ?? "", Number(entry, "value", double.NaN), Number(entry, "threshold", double.NaN),
            Text(entry, "cause") ?? "", Text(entry, "advice") ?? "", time, callFile, callLine)
        {
            IsEarlySign = Text(entry, "severity") == "Info",
        };
    }

    /// <summary>The index of the first comma outside square brackets, or -1.</summary>
    internal static int TopLevelComma(string text)
    {
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '[': depth++; break;
                case ']': depth--; break;
                case ',' when depth == 0: return i;
            }
        }
        return -1;
    }

    private static List<ObservedModule>? Modules(object? value)
    {
        if (value is not List<object?> items)
            return null;
        var modules = new List<ObservedModule>();
        foreach (var item in items)
        {
            if (item is not Dictionary<string, object?> module || Text(module, "name") is not { } name)
                return null;
            modules.Add(new ObservedModule(name, Text(module, "type") ?? ""));
        }
        return modules;
    }

    private static string? Text(Dictionary<string, object?> entry, string name) => entry.TryGetValue(name, out var value) ? value as string : null;

    // Numbers, and the strings "NaN", "Infinity" and "-Infinity" the runtime writes for values JSON cannot hold.
    private static double Number(Dictionary<string, object?> entry, string name, double fallback) =>
        !entry.TryGetValue(name, out var value) ? fallback : value switch
        {
            double d => d,
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => fallback,
        };

    /// <summary>Where a problem with the file is reported: its first character.</summary>
    public static Location LocationOf(AdditionalText file) =>
        Location.Create(file.Path, new TextSpan(0, 0), new LinePositionSpan(LinePosition.Zero, LinePosition.Zero));

    /// <summary>The file's name, for messages.</summary>
    public static string NameOf(AdditionalText file) => Path.GetFileName(file.Path);
}
