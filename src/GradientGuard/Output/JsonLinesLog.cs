using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace GradientGuard.Output;

/// <summary>
/// One JSON object per line: a "check" line per measured step and a "diagnostic" line per diagnostic, flushed at once
/// so a crash loses nothing. A path is written by one monitor of the process at a time: two writers of one file would
/// interleave their lines into invalid JSON, so the second is refused. The path is compared after
/// <see cref="Path.GetFullPath(string)"/> and after resolving a symbolic link at the file or its folder. A log
/// releases its path when disposed, or when it has been garbage-collected (a monitor that was dropped without
/// <c>Dispose()</c>): the registry holds its logs weakly.
/// </summary>
internal sealed class JsonLinesLog : IReportSink
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private static readonly Dictionary<string, WeakReference<JsonLinesLog>> PathsInUse = new(StringComparer.Ordinal);
    private readonly string path;
    private readonly StreamWriter writer;

    public JsonLinesLog(string path)
    {
        this.path = Canonical(path);
        lock (PathsInUse)
        {
            if (PathsInUse.TryGetValue(this.path, out var owner) && owner.TryGetTarget(out _))
                throw new IOException($"The JSON Lines log '{this.path}' is already written by another GradientMonitor; give each monitor a file of its own.");
            PathsInUse[this.path] = new WeakReference<JsonLinesLog>(this);
        }
        try
        {
            string? directory = Path.GetDirectoryName(this.path);
            if (directory is not null)
                Directory.CreateDirectory(directory);
            writer = new StreamWriter(new FileStream(this.path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        }
        catch
        {
            Release();
            throw;
        }
    }

    public string Description => $"JSON Lines log '{path}'";

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
        severity = d.Severity.ToString(),
        ruleId = d.RuleId,
        layers = d.Layers,
        measure = d.Measure,
        value = d.Value,
        threshold = d.Threshold,
        cause = d.Cause,
        advice = d.Advice,
    });

    public void Dispose()
    {
        try
        {
            writer.Dispose();
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        lock (PathsInUse)
        {
            if (PathsInUse.TryGetValue(path, out var owner) && owner.TryGetTarget(out var log) && ReferenceEquals(log, this))
                PathsInUse.Remove(path);
        }
    }

    // The full path, with a symbolic link at the file or at its folder resolved (deeper links are not followed).
    private static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && Directory.Exists(directory) && new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            full = Path.Combine(target.FullName, Path.GetFileName(full));
        if (File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } file)
            full = file.FullName;
        return full;
    }

    private void Write(object line) => writer.WriteLine(JsonSerializer.Serialize(line, Json));
}
