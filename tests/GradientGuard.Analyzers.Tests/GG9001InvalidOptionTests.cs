using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG9001InvalidOptionAnalyzer,
    Microsoft.CodeAnalysis.Testing.EmptyCodeFixProvider>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG9001InvalidOptionTests
{
    private const string Source = "class C { }";

    private static DiagnosticResult Invalid(string key, string value, string problem) =>
        Verify.Diagnostic(GradientGuard.Analyzers.Rules.GG9001InvalidOptionAnalyzer.Rule).WithArguments(key, value, problem);

    [Fact]
    public async Task Valid_options_are_accepted_whatever_their_case()
    {
        await Verify.VerifyAnalyzerAsync(Source, """
            gradientguard.GG0001.min_saturating_activations = 2
            GradientGuard.GG0003.Default_Severity = warning
            gradientguard.GG0002.default_init_severity = silent
            """);
    }

    [Fact]
    public async Task An_invalid_value_is_reported_once_with_what_was_expected()
    {
        await Verify.VerifyAnalyzerAsync(Source, """
            gradientguard.GG0001.min_saturating_activations = zero
            gradientguard.GG0003.recurrent_severity = loud
            """,
            Invalid("gradientguard.gg0001.min_saturating_activations", "zero", "expected a whole number of at least 1 (default 3); the default is used"),
            Invalid("gradientguard.gg0003.recurrent_severity", "loud", "expected error, warning, suggestion or silent; the default is used"));
    }

    [Fact]
    public async Task Every_files_own_section_is_read_and_a_value_they_share_is_reported_once()
    {
        // Each file's options are read, its own section's values with the shared ones; a value all three files share is
        // one report.
        var test = new Verify.Test();
        test.TestState.Sources.Add(Source);
        test.TestState.Sources.Add("class D { }");
        test.TestState.Sources.Add("class E { }");
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", """
            root = true

            [*.cs]
            gradientguard.GG0003.recurrent_severity = loud

            [Test1.cs]
            gradientguard.GG0001.min_saturating_activations = zero

            [Test2.cs]
            gradientguard.GG0001.min_saturating_activations = -1
            """));
        test.ExpectedDiagnostics.Add(Invalid("gradientguard.gg0003.recurrent_severity", "loud", "expected error, warning, suggestion or silent; the default is used"));
        test.ExpectedDiagnostics.Add(Invalid("gradientguard.gg0001.min_saturating_activations", "zero", "expected a whole number of at least 1 (default 3); the default is used"));
        test.ExpectedDiagnostics.Add(Invalid("gradientguard.gg0001.min_saturating_activations", "-1", "expected a whole number of at least 1 (default 3); the default is used"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_key_no_rule_reads_is_reported_as_a_likely_typo_listing_the_known_keys()
    {
        string known = string.Join(", ", GradientGuard.Analyzers.Infrastructure.RuleOptions.All.Select(o => o.Key));
        await Verify.VerifyAnalyzerAsync(Source, "gradientguard.GG0001.min_saturating_activation = 2",
            Invalid("gradientguard.gg0001.min_saturating_activation", "2", $"no GradientGuard rule reads this key (known keys: {known})"));
    }
}
