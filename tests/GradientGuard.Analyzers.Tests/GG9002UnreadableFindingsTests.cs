using System;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Infrastructure.Observed;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG9002UnreadableFindingsAnalyzer,
    Microsoft.CodeAnalysis.Testing.EmptyCodeFixProvider>;
using VerifyVanishing = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG1001ObservedVanishingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG1001ObservedVanishingCodeFix>;

namespace GradientGuard.Analyzers.Tests;

/// <summary>A findings file that is broken, foreign or of another version is ignored with one clear diagnostic, never an analyzer exception.</summary>
public sealed class GG9002UnreadableFindingsTests
{
    private const string Source = """
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        class Net : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            public Net() : base("net") { RegisterComponents(); }
            public override Tensor forward(Tensor x) => fc1.call(x).sigmoid();
        }
        """;

    private static readonly TestFinding Good = new("Net", "Vanishing", "", "fc1");

    private static DiagnosticResult Unreadable(string problem) =>
        new DiagnosticResult("GG9002", DiagnosticSeverity.Warning).WithSpan(TestFinding.Path, 1, 1, 1, 1)
            .WithMessage($"The findings file 'gradientguard.findings.json' was not used: {problem}");

    [Theory]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [", "it is not valid JSON: unexpected end of the file at line 1, column 65")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [] } trailing", "it is not valid JSON: unexpected text after the JSON value at line 1, column 69")]
    [InlineData("{\"format\": \"gradientguard-findings\", 'version': 1}", "it is not valid JSON: expected a property name in double quotes at line 1, column 38")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 01}", "it is not valid JSON: bad number at line 1, column 51")]
    [InlineData("{\"a\": \"\\x\"}", "it is not valid JSON: bad escape '\\x' at line 1, column 9")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1\u0663}", "it is not valid JSON: expected ',' or '}' in an object at line 1, column 50")] // an Arabic-Indic three is no JSON digit
    [InlineData("[1, 2, 3]", "it is not a GradientGuard findings file (no \"format\": \"gradientguard-findings\")")]
    [InlineData("{\"name\": \"some other tool\"}", "it is not a GradientGuard findings file (no \"format\": \"gradientguard-findings\")")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 2, \"findings\": []}", "its version (2) is not one this analyzer reads (1); update the GradientGuard package, or delete the file and train again")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1}", "it has no \"findings\" array")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [{\"kind\": \"Vanishing\"}, 3]}", "2 of its 2 findings were skipped (finding 1: no \"modelType\" or \"kind\")")]
    public async Task A_bad_file_gets_one_diagnostic_that_says_why(string json, string problem)
    {
        await Verify.VerifyWithFindingsAsync(Source, json, fixedSource: null, null, null, Unreadable(problem));
        await VerifyVanishing.VerifyWithFindingsAsync(Source, json, fixedSource: null); // the observed rules see nothing, and do not throw
    }

    [Fact]
    public async Task Good_findings_beside_a_bad_one_are_used_and_the_bad_one_is_reported()
    {
        string json = TestFinding.File(Good).Replace("\"findings\": [", "\"findings\": [{\"modelType\": \"NoAssembly\", \"kind\": \"Vanishing\", \"layers\": []},", StringComparison.Ordinal);
        await Verify.VerifyWithFindingsAsync(Source, json, fixedSource: null, null, null,
            Unreadable("1 of its 2 findings were skipped (finding 1: \"modelType\" 'NoAssembly' is not assembly-qualified)"));
        await VerifyVanishing.VerifyWithFindingsAsync(Source.Replace("Linear fc1", "Linear {|#0:fc1|}", StringComparison.Ordinal), json, fixedSource: null, null, null,
            new DiagnosticResult("GG1001", DiagnosticSeverity.Warning).WithLocation(0));
    }

    [Fact]
    public async Task A_good_file_raises_nothing()
    {
        await Verify.VerifyWithFindingsAsync(Source, TestFinding.File(Good), fixedSource: null);
    }

    [Fact]
    public void The_reader_survives_any_cut_of_a_good_file_and_deep_nesting()
    {
        string good = TestFinding.File(Good, Good with { Kind = "Exploding" });
        Assert.Null(FindingsFileReader.Parse(SourceText.From(good)).Problem);
        Assert.Equal(2, FindingsFileReader.Parse(SourceText.From(good)).Findings.Count);
        for (int length = 0; length < good.Length - 2; length++)
        {
            var read = FindingsFileReader.Parse(SourceText.From(good.Substring(0, length)));
            Assert.NotNull(read.Problem);
        }
        var deep = FindingsFileReader.Parse(SourceText.From(new string('[', 100_000)));
        Assert.Contains("nested too deeply", deep.Problem, StringComparison.Ordinal);
        Assert.Equal(double.PositiveInfinity, MiniJson.Parse("1e999", out _));
        Assert.Equal("\u00e9\n", MiniJson.Parse("\"\\u00e9\\n\"", out _));
    }
}
