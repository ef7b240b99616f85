using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>A module of the trained model: its <c>named_modules()</c> name and its CLR type's full name ("" when not recorded).</summary>
internal readonly struct ObservedModule
{
    public ObservedModule(string name, string type)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; }

    public string Type { get; }
}

/// <summary>One finding of the findings file (docs/findings.md), as the observed rules read it.</summary>
internal sealed class ObservedFinding
{
    public ObservedFinding(string typeName, string assemblyName, string kind, string rule, long step, IReadOnlyList<ObservedModule> layers, IReadOnlyList<ObservedModule>? children,
                           string measure, double value, double threshold, string cause, string advice, DateTimeOffset? time, string? callFile, int callLine)
    {
        TypeName = typeName;
        AssemblyName = assemblyName;
        Kind = kind;
        Rule = rule;
        Step = step;
        Layers = layers;
        Children = children;
        Measure = measure;
        Value = value;
        Threshold = threshold;
        Cause = cause;
        Advice = advice;
        Time = time;
        CallFile = callFile;
        CallLine = callLine;
    }

    /// <summary>The model type's metadata name (<c>Ns.Outer+Net</c>).</summary>
    public string TypeName { get; }

    /// <summary>The simple name of the assembly that defines it.</summary>
    public string AssemblyName { get; }

    /// <summary>The runtime's GradientIssueKind, by name.</summary>
    public string Kind { get; }

    /// <summary>The static rule whose fix applies the advice (GG0001, GG0002, GG0003, ...), or "".</summary>
    public string Rule { get; }

    public long Step { get; }

    /// <summary>The layers concerned, input side first.</summary>
    public IReadOnlyList<ObservedModule> Layers { get; }

    /// <summary>The model's children when trained (its shape), or null when the file does not say.</summary>
    public IReadOnlyList<ObservedModule>? Children { get; }

    public string Measure { get; }

    public double Value { get; }

    public double Threshold { get; }

    public string Cause { get; }

    public string Advice { get; }

    public DateTimeOffset? Time { get; }

    /// <summary>The file of the training-loop call that ran the check, or null.</summary>
    public string? CallFile { get; }

    public int CallLine { get; }

    /// <summary>Whether the monitor raised it as an early sign (severity Info): it is reported as Info, not as a warning.</summary>
    public bool IsEarlySign { get; init; }

    /// <summary>The layers as a message names them: 'fc1', 'fc2' (the first six).</summary>
    public string QuotedLayers()
    {
        var shown = Layers.Take(6).Select(l => "'" + l.Name + "'");
        return Layers.Count == 0 ? "the model" : string.Join(", ", shown) + (Layers.Count > 6 ? $" and {Layers.Count - 6} more" : "");
    }

    public static string Number(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
