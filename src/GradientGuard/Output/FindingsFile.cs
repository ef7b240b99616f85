using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using static TorchSharp.torch;

namespace GradientGuard.Output;

/// <summary>
/// The findings file (docs/findings.md): what training observed, in the form the analyzers need to place it on the model's
/// code (GG1001-GG1003). Each diagnostic about the model is a finding: the model's type, the layers by their
/// <c>named_modules()</c> names and types, the model's children (its shape), kind, step, numbers, cause, advice, the run
/// and the training-loop call. The file is merged with what earlier runs wrote (a finding of the same model type, kind
/// and layers replaces the older one), capped at <see cref="MaxFindings"/> (the oldest go first), and replaced
/// atomically: written to a temporary file in the same folder, then renamed over the old one, so a reader never sees half
/// a file. Writers of one file, in this process or others, take turns (<see cref="FindingsFileLock"/>), so none loses
/// another's finding; a passing IO error is retried. A finding is written when it is first raised in the run, so a crash
/// later loses nothing.
/// </summary>
internal sealed class FindingsFile : IReportSink
{
    /// <summary>The <c>format</c> field that marks a GradientGuard findings file.</summary>
    public const string Format = "gradientguard-findings";

    /// <summary>The file format's version; a reader ignores files of a version it does not know.</summary>
    public const int Version = 1;

    /// <summary>The key of the assembly metadata the package's build writes: where that assembly's findings go.</summary>
    public const string MetadataKey = "GradientGuard.FindingsPath";

    /// <summary>At most this many findings are kept; the oldest are dropped first.</summary>
    public const int MaxFindings = 100;

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    private readonly string path;
    private readonly nn.Module model;
    private readonly string runId = Guid.NewGuid().ToString("N");
    private readonly HashSet<string> written = new(StringComparer.Ordinal);
    private LoopCallSite site;

    public FindingsFile(string path, nn.Module model)
    {
        this.path = Path.GetFullPath(path);
        this.model = model;
    }

    public string Description => $"findings file '{path}'";

    /// <summary>
    /// The path the build recorded in the model type's assembly, else in the entry assembly; null when neither has one,
    /// or when the project folder it lies in is not on this machine (a build deployed elsewhere writes nothing).
    /// </summary>
    public static string? DefaultPath(Type modelType) =>
        Recorded(modelType.Assembly) ?? (Assembly.GetEntryAssembly() is { } entry ? Recorded(entry) : null);

    private static string? Recorded(Assembly assembly)
    {
        string? path = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == MetadataKey)?.Value;
        if (string.IsNullOrWhiteSpace(path))
            return null;
        // <project>/obj/gradientguard.findings.json: the project folder must exist here (obj/ itself may not yet).
        string? project = Path.GetDirectoryName(Path.GetDirectoryName(path));
        return project is not null && Directory.Exists(project) ? path : null;
    }

    public void WriteCheck(GradientReport report) => site = report.CallSite;

    public void WriteDiagnostic(GradientDiagnostic diagnostic)
    {
        // A failed sink or a loop that never ran backward() says nothing about the model's code.
        if (diagnostic.Kind is GradientIssueKind.SinkFailure or GradientIssueKind.NoGradients)
            return;
        var finding = Finding.Of(diagnostic, model, runId, site);
        if (written.Add(finding.Key))
            Merge(finding);
    }

    public void Dispose()
    {
    }

    // Read, merge and replace in one turn of every writer of this file, in any process (FindingsFileLock), so that no
    // writer's rename drops a finding another added in between; a passing IO error is retried (TransientIO).
    private void Merge(Finding finding) => TransientIO.Retry(() =>
    {
        using var turn = FindingsFileLock.Acquire(path);
        var kept = ReadExisting().Where(e => Finding.KeyOf(e) != finding.Key).ToList();
        // Oldest first by recorded time; the new finding is the newest.
        kept.Sort((a, b) => string.CompareOrdinal(Finding.TimeOf(a), Finding.TimeOf(b)));
        if (kept.Count >= MaxFindings)
            kept.RemoveRange(0, kept.Count - MaxFindings + 1);
        WriteAtomically(kept, finding);
    });

    // The findings already in the file. A file that is not ours (or not a version we know) is not overwritten: the sink
    // fails with a message that says why, and the monitor reports it as a sink failure.
    private List<JsonElement> ReadExisting()
    {
        if (!File.Exists(path))
            return new List<JsonElement>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({e.Message}); delete it or point FindingsPath elsewhere.", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
                throw new InvalidDataException($"'{path}' is not a GradientGuard findings file (no \"format\": \"{Format}\"); it was left as it is. Point FindingsPath elsewhere.");
            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out int v) || v != Version)
                throw new InvalidDataException($"'{path}' is a findings file of another version than {Version}; it was left as it is. Delete it to start a new one.");
            if (!root.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
                return new List<JsonElement>();
            return findings.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.Object).Select(f => f.Clone()).ToList();
        }
    }

    private void WriteAtomically(List<JsonElement> kept, Finding added)
    {
        string? folder = Path.GetDirectoryName(path);
        if (folder is not null)
            Directory.CreateDirectory(folder);
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new Utf8JsonWriter(stream, Indented))
            {
                writer.WriteStartObject();
                writer.WriteString("format", Format);
                writer.WriteNumber("version", Version);
                writer.WriteStartArray("findings");
                foreach (var existing in kept)
                    existing.WriteTo(writer); // fields a later version added are kept as they are
                added.WriteTo(writer);
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>One finding, as written.</summary>
    private sealed class Finding
    {
        private readonly GradientDiagnostic diagnostic;
        private readonly string modelType;
        private readonly IReadOnlyList<(string Name, string Type)> layers;
        private readonly IReadOnlyList<(string Name, string Type)> children;
        private readonly string runId;
        private readonly string time;
        private readonly LoopCallSite site;

        private Finding(GradientDiagnostic diagnostic, string modelType, IReadOnlyList<(string, string)> layers, IReadOnlyList<(string, string)> children, string runId, LoopCallSite site)
        {
            this.diagnostic = diagnostic;
            this.modelType = modelType;
            this.layers = layers;
            this.children = children;
            this.runId = runId;
            this.site = site;
            time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            Key = Keyed(modelType, diagnostic.Kind.ToString(), diagnostic.Layers);
        }

        /// <summary>Model type (without its version), kind and layers: a later finding with the same key replaces this one.</summary>
        public string Key { get; }

        public static Finding Of(GradientDiagnostic diagnostic, nn.Module model, string runId, LoopCallSite site)
        {
            // named_modules() walks the module tree only (no tensor is touched); diagnostics are rare, so it is read each time.
            var types = model.named_modules().GroupBy(m => m.name).ToDictionary(g => g.Key, g => TypeName(g.First().module), StringComparer.Ordinal);
            var layers = diagnostic.Layers.Select(n => (n, types.TryGetValue(n, out var t) ? t : "")).ToList();
            var children = model.named_children().Select(c => (c.name, TypeName(c.module))).ToList();
            return new Finding(diagnostic, model.GetType().AssemblyQualifiedName ?? model.GetType().FullName ?? model.GetType().Name, layers, children, runId, site);
        }

        private static string TypeName(nn.Module module) => module.GetType().FullName ?? module.GetType().Name;

        public static string KeyOf(JsonElement finding)
        {
            string type = finding.TryGetProperty("modelType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            string kind = finding.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
            var layers = finding.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "").ToList()
                : new List<string>();
            return Keyed(type, kind, layers);
        }

        public static string TimeOf(JsonElement finding) =>
            finding.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";

        // "Ns.Net, Asm, Version=1.0.0.0, ..." -> "Ns.Net, Asm": a rebuild with a new version is the same model. A generic
        // type's arguments are assembly-qualified inside [[...]]: the type ends at the first comma outside brackets.
        private static string Keyed(string modelType, string kind, IEnumerable<string> layers)
        {
            int depth = 0, comma = -1;
            for (int i = 0; i < modelType.Length && comma < 0; i++)
            {
                depth += modelType[i] == '[' ? 1 : modelType[i] == ']' ? -1 : 0;
                if (modelType[i] == ',' && depth == 0)
                    comma = i;
            }
            string type = comma < 0 ? modelType.Trim() : modelType[..comma].Trim() + ", " + modelType[(comma + 1)..].Split(',')[0].Trim();
            return type + "|" + kind + "|" + string.Join(",", layers);
        }

        public void WriteTo(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("modelType", modelType);
            writer.WriteString("kind", diagnostic.Kind.ToString());
            writer.WriteString("severity", diagnostic.Severity.ToString());
            writer.WriteString("rule", diagnostic.RuleId);
            writer.WriteNumber("step", diagnostic.Step);
            writer.WriteStartArray("layers");
            foreach (var (name, type) in layers)
                NamedType(writer, name, type);
            writer.WriteEndArray();
            writer.WriteStartArray("children");
            foreach (var (name, type) in children)
                NamedType(writer, name, type);
            writer.WriteEndArray();
            writer.WriteString("measure", diagnostic.Measure);
            Number(writer, "value", diagnostic.Value);
            Number(writer, "threshold", diagnostic.Threshold);
            writer.WriteString("cause", diagnostic.Cause);
            writer.WriteString("advice", diagnostic.Advice);
            writer.WriteString("runId", runId);
            writer.WriteString("time", time);
            if (site.IsKnown)
            {
                writer.WriteStartObject("callSite");
                writer.WriteString("file", site.File);
                writer.WriteNumber("line", site.Line);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        private static void NamedType(Utf8JsonWriter writer, string name, string type)
        {
            writer.WriteStartObject();
            writer.WriteString("name", name);
            writer.WriteString("type", type);
            writer.WriteEndObject();
        }

        // JSON has no NaN or Infinity: those are written as the strings "NaN", "Infinity", "-Infinity".
        private static void Number(Utf8JsonWriter writer, string name, double value)
        {
            if (double.IsFinite(value))
                writer.WriteNumber(name, value);
            else
                writer.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
