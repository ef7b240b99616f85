using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// An editor makes a new compilation at every keystroke, holding every syntax tree of the one before but the edited
/// one. The rules keep what they read of a tree for every compilation that holds it (another file's helpers, the
/// TorchSharp types): an edit must be seen in the next compilation, in another file than the one typed in too.
/// </summary>
public sealed class EditorSnapshotsTests
{
    private const string Trainer = """
        using TorchSharp;
        using static TorchSharp.torch;
        class Trainer
        {
            void Train(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, Tensor loss)
            {
                loss.backward();
                Prepare(model);
                opt.step();
            }

            void Prepare(nn.Module<Tensor, Tensor> model) => Helpers.Guard(model);
        }
        """;

    private const string Guard = """
        using TorchSharp;
        using static TorchSharp.torch;
        static class Helpers
        {
            public static void Guard(nn.Module<Tensor, Tensor> model) { }
        }
        """;

    private const string ClippingGuard = """
        using TorchSharp;
        using static TorchSharp.torch;
        static class Helpers
        {
            public static void Guard(nn.Module<Tensor, Tensor> model) => nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        }
        """;

    [Fact]
    public async Task A_clip_written_into_another_files_helper_is_seen_at_the_next_keystroke_and_its_removal_too()
    {
        var (analysis, _) = await AllRules.On(Trainer, true, Guard);

        Assert.Single(await Reports(analysis.Compilation), d => d.Id == "GG0003"); // the helper does not clip
        var clipping = Edit(analysis.Compilation, ClippingGuard);
        Assert.Empty(await Reports(clipping)); // Train -> Prepare -> Helpers.Guard clips now
        Assert.Single(await Reports(Edit(clipping, Guard)), d => d.Id == "GG0003");
    }

    private const string Models = """
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        class Models
        {
            Sequential Build()
            {
                var fc1 = nn.Linear(16, 32);
                Inits.Glorot(fc1);
                return nn.Sequential(fc1, nn.ReLU(), nn.Linear(32, 1));
            }
        }
        """;

    private const string Inits = """
        using TorchSharp.Modules;
        static class Inits
        {
            public static void Glorot(Linear layer) { }
        }
        """;

    private const string XavierInits = """
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        static class Inits
        {
            public static void Glorot(Linear layer) => nn.init.xavier_uniform_(layer.weight);
        }
        """;

    [Fact]
    public async Task An_init_written_into_another_files_helper_is_seen_at_the_next_keystroke_and_its_removal_too()
    {
        var (analysis, _) = await AllRules.On(Models, true, Inits);

        Assert.DoesNotContain(await Reports(analysis.Compilation), d => d.Id == "GG0002"); // the helper sets no weight
        var xavier = Edit(analysis.Compilation, XavierInits);
        Assert.Single(await Reports(xavier), d => d.Id == "GG0002"); // a Xavier init before a ReLU
        Assert.DoesNotContain(await Reports(Edit(xavier, Inits)), d => d.Id == "GG0002");
    }

    // The next compilation, with the other file (Other0.cs) typed into: every other tree is the one before.
    private static Compilation Edit(Compilation compilation, string otherFile)
    {
        var other = compilation.SyntaxTrees.Single(t => t.FilePath == "Other0.cs");
        return compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(otherFile)));
    }

    // Every rule on a compilation, as an editor runs them on the file it shows (Test.cs).
    private static async Task<ImmutableArray<Diagnostic>> Reports(Compilation compilation)
    {
        var withAnalyzers = AllRules.Analyzed(compilation);
        var shown = withAnalyzers.Compilation.SyntaxTrees.Single(t => t.FilePath == "Test.cs");
        var diagnostics = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(withAnalyzers.Compilation.GetSemanticModel(shown), null, default);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics.Where(d => d.Id.StartsWith("GG", System.StringComparison.Ordinal)).ToImmutableArray();
    }
}
