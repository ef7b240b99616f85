using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace GradientGuard.Analyzers.Tests.Verifiers;

/// <summary>One finding as the runtime writes it (docs/findings.md), for tests that hand the analyzers a findings file.</summary>
internal sealed record TestFinding(string ModelType, string Kind, string Rule, params string[] Layers)
{
    /// <summary>The project the test framework compiles.</summary>
    public const string TestAssembly = "TestProject";

    public string LayerType { get; init; } = "TorchSharp.Modules.Linear";

    /// <summary>The model's children (name:type); null leaves them out of the file.</summary>
    public string[]? Children { get; init; }

    public string Assembly { get; init; } = TestAssembly;

    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow.AddHours(-1);

    public string? CallFile { get; init; }

    public int CallLine { get; init; }

    public long Step { get; init; } = 7;

    /// <summary>"Warning", or "Info" for an early sign.</summary>
    public string Severity { get; init; } = "Warning";

    public string Measure { get; init; } = "gradient norm of 'fc1' relative to 'fc4'";

    public string Value { get; init; } = "1.2345e-05";

    public string Cause { get; init; } = "the gradient passes through 3 Sigmoid activations";

    public string Advice { get; init; } = "replace the hidden Sigmoid/Tanh activations with ReLU (quick fix of GG0001)";

    public string ToJson()
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        string Modules(IEnumerable<(string Name, string Type)> modules) => "[" + string.Join(", ", modules.Select(m => $"{{\"name\": {Quote(m.Name)}, \"type\": {Quote(m.Type)}}}")) + "]";
        var text = new StringBuilder("    {\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"modelType\": {Quote(ModelType + ", " + Assembly + ", Version=1.0.0.0, Culture=neutral, PublicKeyToken=null")},\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"kind\": {Quote(Kind)}, \"severity\": {Quote(Severity)}, \"rule\": {Quote(Rule)}, \"step\": {Step},\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"layers\": {Modules(Layers.Select(l => (l, LayerType)))},\n");
        if (Children is { } children)
            text.Append(CultureInfo.InvariantCulture, $"      \"children\": {Modules(children.Select(c => (c.Split(':')[0], c.Split(':')[1])))},\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"measure\": {Quote(Measure)}, \"value\": {Value}, \"threshold\": 0.001,\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"cause\": {Quote(Cause)}, \"advice\": {Quote(Advice)},\n");
        if (CallFile is not null)
            text.Append(CultureInfo.InvariantCulture, $"      \"callSite\": {{\"file\": {Quote(CallFile)}, \"line\": {CallLine}}},\n");
        text.Append(CultureInfo.InvariantCulture, $"      \"runId\": \"0123456789abcdef0123456789abcdef\", \"time\": {Quote(Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))}\n");
        return text.Append("    }").ToString();
    }

    /// <summary>A whole findings file holding <paramref name="findings"/>.</summary>
    public static string File(params TestFinding[] findings) =>
        "{\n  \"format\": \"gradientguard-findings\",\n  \"version\": 1,\n  \"findings\": [\n" + string.Join(",\n", findings.Select(f => f.ToJson())) + "\n  ]\n}\n";

    /// <summary>Where the test framework's additional file goes.</summary>
    public const string Path = "/0/obj/gradientguard.findings.json";
}
