using System;
using System.Linq;
using System.Runtime.CompilerServices;
using GradientGuard.Analyzers.Tests.Verifiers;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// A long-lived host (an IDE, a build server) runs the rules on pooled threads that then idle: no thread may keep a file
/// the rules have read alive, though the text tests remember the last file per thread while a callback runs.
/// </summary>
public sealed class LastFileCachesTests
{
    // A model, a training loop and a helper: every rule reads the file, and the text tests ask about it.
    internal const string Training = """
        using TorchSharp;
        using static TorchSharp.torch;
        class Net : nn.Module<Tensor, Tensor>
        {
            private readonly nn.Module<Tensor, Tensor> layers = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1));
            public Net() : base("net") => RegisterComponents();
            public override Tensor forward(Tensor x) => nn.functional.sigmoid(layers.forward(x));
        }
        class Trainer
        {
            void Train(Net model, Tensor x, Tensor y)
            {
                var opt = optim.Adam(model.parameters());
                for (int i = 0; i < 10; i++)
                {
                    var loss = nn.functional.binary_cross_entropy(model.forward(x), y);
                    Backward(loss);
                    opt.step();
                }
            }

            static void Backward(Tensor loss) => loss.backward();
        }
        """;

    [Fact]
    public void No_file_the_rules_read_stays_alive_after_them() => AssertCollected(AnalyzeAndDrop());

    // GG0005 asks at the compilation's start whether any file names RNN; none does, so it registers nothing else: no
    // later callback of the rule runs on that thread to replace the file it asked about last.
    [Fact]
    public void No_file_a_rule_asked_about_at_the_compilations_start_stays_alive() => AssertCollected(StartAndDrop());

    private static void AssertCollected(WeakReference<SyntaxTree>[] files)
    {
        for (int i = 0; i < 3 && files.Any(f => f.TryGetTarget(out _)); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(files, f => Assert.False(f.TryGetTarget(out _), "a syntax tree the rules read is still reachable"));
    }

    // Analyzes in a frame of its own, so that nothing of the compilation stays on the test's stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<SyntaxTree>[] AnalyzeAndDrop()
    {
        var (analysis, _) = AllRules.On(Training, true, "class Other { void Run() { } }").GetAwaiter().GetResult();
        var diagnostics = analysis.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        Assert.Contains(diagnostics, d => d.Id == "GG0003"); // the rules did read the file
        return analysis.Compilation.SyntaxTrees.Select(t => new WeakReference<SyntaxTree>(t)).ToArray();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<SyntaxTree>[] StartAndDrop()
    {
        var compilation = CSharpCompilation.Create("Test", new[] { CSharpSyntaxTree.ParseText(Training, path: "Test.cs") }, AllRules.References().GetAwaiter().GetResult(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var diagnostics = AllRules.Analyzed(compilation, new GG0005PlainRnnAnalyzer()).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        Assert.Empty(diagnostics);
        return compilation.SyntaxTrees.Select(t => new WeakReference<SyntaxTree>(t)).ToArray();
    }
}
