using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;

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

    // Everyday code of a TorchSharp project that touches no model, training step or init: a data reader and a settings
    // class, with loops, lambdas, a query, fields of collections, the rules' words in comments and strings ("step",
    // "forward", "weight") and inside longer names of its code (payload, initial, weights: GG0002's body gate matches
    // "load", "init" and "weight" inside names, behind its file gate, which this file's code does not pass).
    private const string DataReader = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        class CsvReader
        {
            private readonly List<string[]> rows = new();
            private readonly Dictionary<string, int> columns = new();

            public double Total { get; }

            public CsvReader(string path)
            {
                // read the header first, then step through the rows one by one
                var lines = File.ReadAllLines(path);
                var header = lines[0].Split(',');
                for (int i = 0; i < header.Length; i++)
                    columns[header[i]] = i;
                var payload = lines.Length - 1;
                double initial = 0;
                var weights = new float[payload];
                Total = weights.Sum() + initial;
                rows.AddRange(lines.Skip(1).Select(l => l.Split(',')));
            }

            public float[] Column(string name) => rows.Select(r => float.Parse(r[columns[name]])).ToArray();

            public IEnumerable<(float X, float Y)> Pairs(string x, string y)
            {
                var xs = Column(x);
                var ys = Column(y);
                for (int i = 0; i < xs.Length; i++)
                    yield return (xs[i], ys[i]);
            }
        }
        class Settings
        {
            public int Epochs { get; set; } = 10;
            public double Rate { get; set; } = 0.01;
            public string Describe() => $"epochs {Epochs}, rate {Rate} (forward pass, weight decay off)";
        }
        """;

    // The issue "Analyzer cost": a file that names no TorchSharp training, model or init construct costs its text tests
    // only. The rules bind a file's code only from the bodies they look up in FileBodies; none of the plain file's is.
    [Fact]
    public async Task No_rule_binds_a_file_that_names_no_TorchSharp_construct_in_its_code()
    {
        var read = new ConcurrentBag<SyntaxNode>();
        void Watch(SyntaxNode body) => read.Add(body);
        FileBodies.LookingUp += Watch;
        try
        {
            var (analysis, model) = await AllRules.On(LastFileCachesTests.Training, withTorchSharp: true, DataReader); // a model and a training loop
            var diagnostics = await analysis.GetAnalyzerDiagnosticsAsync();

            Assert.Contains(diagnostics, d => d.Id == "GG0003"); // the rules ran, and read the training file
            var trees = analysis.Compilation.SyntaxTrees.ToList();
            var ours = read.Where(body => trees.Contains(body.SyntaxTree)).ToList(); // other tests run beside this one
            Assert.Contains(ours, body => body.SyntaxTree == model.SyntaxTree);
            Assert.DoesNotContain(ours, body => body.SyntaxTree != model.SyntaxTree);
        }
        finally
        {
            FileBodies.LookingUp -= Watch;
        }
    }
}
