namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Where each rule's documentation page lives.</summary>
internal static class HelpLinks
{
    public const string Base = "https://github.com/gradientguard/gradientguard/blob/main/docs/rules/";

    public static string For(string ruleId) => Base + ruleId + ".md";
}
