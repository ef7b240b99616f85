using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>One .editorconfig option of a rule: <c>gradientguard.GGxxxx.name = value</c>. Invalid values fall back to the default.</summary>
internal abstract class RuleOption
{
    protected RuleOption(string ruleId, string name, string purpose)
    {
        RuleId = ruleId;
        Key = "gradientguard." + ruleId + "." + name;
        Purpose = purpose;
    }

    /// <summary>The rule that reads it.</summary>
    public string RuleId { get; }

    /// <summary>What it sets, in a few words (the rule pages' generated header says it).</summary>
    public string Purpose { get; }

    /// <summary>The default value as written in .editorconfig.</summary>
    public abstract string DefaultValue { get; }

    /// <summary>The full key, e.g. <c>gradientguard.GG0001.min_saturating_activations</c> (keys are case-insensitive).</summary>
    public string Key { get; }

    /// <summary>What a valid value looks like, for the message about an invalid one.</summary>
    public abstract string Expected { get; }

    public abstract bool IsValid(string value);

    protected bool TryGetValue(AnalyzerOptions options, SyntaxTree tree, out string value) =>
        options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(Key, out value!);
}

/// <summary>A whole number of at least a minimum.</summary>
internal sealed class CountOption : RuleOption
{
    private readonly int fallback;
    private readonly int minimum;

    public CountOption(string ruleId, string name, int fallback, string purpose, int minimum = 1)
        : base(ruleId, name, purpose)
    {
        this.fallback = fallback;
        this.minimum = minimum;
    }

    public override string Expected => $"a whole number of at least {minimum} (default {fallback})";

    public override string DefaultValue => fallback.ToString(CultureInfo.InvariantCulture);

    public int Read(AnalyzerOptions options, SyntaxTree tree) =>
        TryGetValue(options, tree, out var value) && TryParse(value, out int parsed) ? parsed : fallback;

    public override bool IsValid(string value) => TryParse(value, out _);

    private bool TryParse(string value, out int parsed) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out parsed) && parsed >= minimum;
}

/// <summary>A severity: error, warning, suggestion (info), silent (hidden).</summary>
internal sealed class SeverityOption : RuleOption
{
    private readonly DiagnosticSeverity fallback;

    public SeverityOption(string ruleId, string name, DiagnosticSeverity fallback, string purpose)
        : base(ruleId, name, purpose)
    {
        this.fallback = fallback;
    }

    public override string Expected => "error, warning, suggestion or silent";

    public override string DefaultValue => fallback switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "suggestion",
        _ => "silent",
    };

    public DiagnosticSeverity Read(AnalyzerOptions options, SyntaxTree tree) =>
        TryGetValue(options, tree, out var value) && Parse(value) is { } severity ? severity : fallback;

    public override bool IsValid(string value) => Parse(value) is not null;

    private static DiagnosticSeverity? Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "error" => DiagnosticSeverity.Error,
        "warning" => DiagnosticSeverity.Warning,
        "suggestion" or "info" => DiagnosticSeverity.Info,
        "silent" or "hidden" => DiagnosticSeverity.Hidden,
        _ => null,
    };
}

/// <summary>Every option the rules read; the configuration check knows them all from here.</summary>
internal static class RuleOptions
{
    public const string Prefix = "gradientguard.";

    public static readonly CountOption MinSaturatingActivations = new(RuleIds.SaturatingActivationStack, "min_saturating_activations", 3, "hidden Sigmoid/Tanh activations in a run that make it worth reporting");
    public static readonly CountOption MinDefaultInitLayers = new(RuleIds.Initialization, "min_default_init_layers", 8, "weight layers at the default init that make a stack worth a suggestion");
    public static readonly CountOption MaxSpreadFactor = new(RuleIds.Initialization, "max_spread_factor", 4, "normal_/uniform_ spread allowed, in units of 1/sqrt(fan_in)");
    public static readonly SeverityOption DefaultInitSeverity = new(RuleIds.Initialization, "default_init_severity", DiagnosticSeverity.Info, "severity of the default-init report");
    public static readonly CountOption MinPlainDepth = new(RuleIds.DeepWithoutNormalization, "min_weight_layers", 8, "weight layers in a row without normalization that make a path worth reporting");
    public static readonly SeverityOption RecurrentClippingSeverity = new(RuleIds.StepWithoutGradientClipping, "recurrent_severity", DiagnosticSeverity.Warning, "severity for recurrent or attention models");
    public static readonly SeverityOption DefaultClippingSeverity = new(RuleIds.StepWithoutGradientClipping, "default_severity", DiagnosticSeverity.Info, "severity for every other model");

    public static readonly CountOption ObservedVanishingMaxAge = new(RuleIds.ObservedVanishing, "max_age_days", 30, "days after which a finding of training fades out");
    public static readonly CountOption ObservedExplodingMaxAge = new(RuleIds.ObservedExploding, "max_age_days", 30, "days after which a finding of training fades out");
    public static readonly CountOption ObservedNonFiniteMaxAge = new(RuleIds.ObservedNonFinite, "max_age_days", 30, "days after which a finding of training fades out");

    public static IReadOnlyList<RuleOption> All { get; } = new RuleOption[]
    {
        MinSaturatingActivations, MinDefaultInitLayers, MaxSpreadFactor, DefaultInitSeverity, MinPlainDepth, RecurrentClippingSeverity, DefaultClippingSeverity,
        ObservedVanishingMaxAge, ObservedExplodingMaxAge, ObservedNonFiniteMaxAge,
    };
}
