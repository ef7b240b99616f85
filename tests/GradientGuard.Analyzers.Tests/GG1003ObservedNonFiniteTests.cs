using System;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG1003ObservedNonFiniteAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG1003ObservedNonFiniteCodeFix>;

namespace GradientGuard.Analyzers.Tests;

/// <summary>GG1003 places a NaN/Infinity finding on the training step (with GG0003's clip), else on the layer it names.</summary>
public sealed class GG1003ObservedNonFiniteTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private static DiagnosticResult Observed() => new("GG1003", DiagnosticSeverity.Warning);

    [Fact]
    public async Task The_step_gets_the_diagnostic_and_the_clip_fix()
    {
        string source = Usings + """
            class Trainer
            {
                public static void Train(Sequential model, optim.Optimizer optimizer, Tensor x, Tensor y)
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(model.call(x), y);
                    loss.backward(); // checked here
                    {|#0:optimizer.step()|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                public static void Train(Sequential model, optim.Optimizer optimizer, Tensor x, Tensor y)
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(model.call(x), y);
                    loss.backward(); // checked here
                    nn.utils.clip_grad_norm_(optimizer.parameters(), max_norm: 1.0);
                    optimizer.step();
                }
            }
            """;
        var finding = new TestFinding("Trainer", "NonFinite", "GG0003", "0") { CallFile = "/0/Test0.cs", CallLine = GG1002ObservedExplodingTests.LineOf(source, "checked here"), Value = "\"NaN\"" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource, GG0003AddGradientClippingCodeFix.EquivalenceKey, null, Observed().WithLocation(0));
    }

    [Fact]
    public async Task Without_a_call_site_the_layer_gets_it_with_the_value_as_recorded_and_no_fix()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear {|#0:fc1|} = nn.Linear(8, 8);
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => fc1.call(x).log();
            }
            """;
        var finding = new TestFinding("Net", "NonFinite", "GG0003", "fc1") { Value = "\"Infinity\"", Measure = "non-finite gradient values" };
        var expected = Observed().WithLocation(0);
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource: null, null, null, expected);
        Assert.Contains("Infinity", FormattableString.Invariant($"{double.PositiveInfinity:G3}"), StringComparison.Ordinal);
    }
}
