namespace GradientGuard.Reporting;

/// <summary>
/// Where a rule's doc page is: the same base as the analyzers' help links (GradientGuard.Analyzers'
/// Infrastructure/HelpLinks.cs, which this library cannot reference; a test holds the two equal).
/// </summary>
internal static class RuleLinks
{
    public const string Base = "https://github.com/gradientguard/gradientguard/blob/main/docs/rules/";

    public static string For(string ruleId) => Base + ruleId + ".md";
}
