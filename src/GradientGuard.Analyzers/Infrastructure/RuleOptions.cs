using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Reads a rule's options from .editorconfig: <c>gradientguard.GGxxxx.name = value</c>.</summary>
internal static class RuleOptions
{
    public static string Key(string ruleId, string name) => "gradientguard." + ruleId + "." + name;

    /// <summary>A whole-number option of at least <paramref name="minimum"/>; anything else gives the default.</summary>
    public static int Count(AnalyzerOptions options, SyntaxTree tree, string ruleId, string name, int fallback, int minimum = 1) =>
        options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(Key(ruleId, name), out var value) &&
        int.TryParse(value.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int parsed) &&
        parsed >= minimum
            ? parsed
            : fallback;

    /// <summary>A severity option (error, warning, suggestion/info, silent/hidden); anything else gives the default.</summary>
    public static DiagnosticSeverity Severity(AnalyzerOptions options, SyntaxTree tree, string ruleId, string name, DiagnosticSeverity fallback)
    {
        if (!options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(Key(ruleId, name), out var value))
            return fallback;
        switch (value.Trim().ToLowerInvariant())
        {
            case "error": return DiagnosticSeverity.Error;
            case "warning": return DiagnosticSeverity.Warning;
            case "suggestion":
            case "info": return DiagnosticSeverity.Info;
            case "silent":
            case "hidden": return DiagnosticSeverity.Hidden;
            default: return fallback;
        }
    }
}
