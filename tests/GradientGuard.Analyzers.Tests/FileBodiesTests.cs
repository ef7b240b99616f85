using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Tests.Verifiers;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The rules read each file's bodies at its semantic-model action (FileBodies) rather than being handed them in block
/// actions: what the driver does for block actions, skipping generated symbols and keeping to the span an editor
/// asks about, they must do themselves.
/// </summary>
public sealed class FileBodiesTests
{
    private const string TwoSteps = """
        using TorchSharp;
        using static TorchSharp.torch;
        class Trainer
        {
            void First(nn.Module<Tensor, Tensor> model, Tensor loss)
            {
                var opt = optim.Adam(model.parameters());
                loss.backward();
                opt.step();
            }

            void Second(nn.Module<Tensor, Tensor> model, Tensor loss)
            {
                var opt = optim.SGD(model.parameters(), 0.01);
                loss.backward();
                opt.step();
            }
        }
        """;

    [Fact]
    public async Task An_editor_asking_about_one_method_gets_that_methods_diagnostics_only()
    {
        var (analysis, model) = await AllRules.On(TwoSteps);
        var first = model.SyntaxTree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().First();

        var inSpan = await analysis.GetAnalyzerSemanticDiagnosticsAsync(model, first.Span, default);
        var whole = await analysis.GetAnalyzerSemanticDiagnosticsAsync(model, null, default);

        Assert.Equal(2, whole.Count(d => d.Id == "GG0003"));
        var only = Assert.Single(inSpan, d => d.Id == "GG0003");
        Assert.True(first.Span.Contains(only.Location.SourceSpan), only.ToString());
    }

    [Fact]
    public async Task A_method_marked_GeneratedCode_is_skipped_and_its_neighbour_is_not()
    {
        string source = TwoSteps.Replace("    void First(", "    [System.CodeDom.Compiler.GeneratedCode(\"tool\", \"1.0\")]\n    void First(", System.StringComparison.Ordinal);
        var (analysis, _) = await AllRules.On(source);

        var diagnostics = await analysis.GetAnalyzerDiagnosticsAsync();

        var only = Assert.Single(diagnostics, d => d.Id == "GG0003");
        Assert.Equal(16, only.Location.GetLineSpan().StartLinePosition.Line); // Second's step, 0-based
    }

    // The attribute is found without looking the owners up when the file never names it: an alias (a global one in another
    // file), an escaped name, and a partial method's definition in another file must still count.
    [Theory]
    [InlineData("using Gen = System.CodeDom.Compiler.GeneratedCodeAttribute;\n", "Gen", "")]
    [InlineData("", "Gen", "global using Gen = System.CodeDom.Compiler.GeneratedCodeAttribute;")]
    [InlineData("", "System.CodeDom.Compiler.Generated\\u0043ode", "")]
    public async Task A_method_marked_GeneratedCode_through_an_alias_or_an_escape_is_skipped(string aliasInFile, string attribute, string otherFile)
    {
        string source = aliasInFile + TwoSteps.Replace("    void First(", $"    [{attribute}(\"tool\", \"1.0\")]\n    void First(", System.StringComparison.Ordinal);
        var (analysis, _) = await AllRules.On(source, withTorchSharp: true, otherFile);

        var diagnostics = await analysis.GetAnalyzerDiagnosticsAsync();

        var only = Assert.Single(diagnostics, d => d.Id == "GG0003");
        Assert.Equal(aliasInFile.Length == 0 ? 16 : 17, only.Location.GetLineSpan().StartLinePosition.Line); // Second's step, 0-based
    }

    [Fact]
    public async Task A_partial_method_whose_definition_in_another_file_is_marked_GeneratedCode_is_skipped()
    {
        string source = TwoSteps.Replace("class Trainer", "partial class Trainer", System.StringComparison.Ordinal)
            .Replace("    void First(", "    partial void First(", System.StringComparison.Ordinal);
        const string definition = """
            using TorchSharp;
            using static TorchSharp.torch;
            partial class Trainer
            {
                [System.CodeDom.Compiler.GeneratedCode("tool", "1.0")]
                partial void First(nn.Module<Tensor, Tensor> model, Tensor loss);
            }
            """;
        var (analysis, _) = await AllRules.On(source, withTorchSharp: true, definition);

        var diagnostics = await analysis.GetAnalyzerDiagnosticsAsync();

        var only = Assert.Single(diagnostics, d => d.Id == "GG0003");
        Assert.Equal(15, only.Location.GetLineSpan().StartLinePosition.Line); // Second's step, 0-based (no line added)
    }
}
