using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// How loudly a rule speaks by default, after NetAnalyzers' <c>RuleLevel</c>. The rubric (also in the README's
/// contributor guide): a rule is a build warning only where a false positive is near impossible — the flagged code is
/// wrong whatever the context (a clip after the step, a sigmoid fed to BCE, layers RegisterComponents() skips). Where
/// context can make the code fine, it is a suggestion in the IDE. A rule whose reported severity an option sets (GG0003:
/// a suggestion, a warning for recurrent models) declares <see cref="BuildWarning"/>: a build never shows a diagnostic
/// above its descriptor's default severity, so an <see cref="IdeSuggestion"/> rule could not be raised to a warning.
/// </summary>
internal enum RuleLevel
{
    /// <summary>Warning by default, in the IDE and the build.</summary>
    BuildWarning,

    /// <summary>Suggestion (info) by default: shown in the IDE, not as a build warning.</summary>
    IdeSuggestion,
}

/// <summary>
/// The one way a rule declares a diagnostic: the help link is computed from the ID, the severity from the rule level,
/// and every rule is enabled by default. The raw <see cref="DiagnosticDescriptor"/> constructor is banned elsewhere
/// (BannedSymbols.txt).
/// </summary>
internal static class RuleDescriptors
{
    public static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, RuleLevel level, string description, params string[] customTags) =>
#pragma warning disable RS0030 // the one sanctioned use of the constructor
        new(id, title, messageFormat, category,
            level == RuleLevel.BuildWarning ? DiagnosticSeverity.Warning : DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description,
            HelpLinks.For(id),
            customTags);
#pragma warning restore RS0030
}
