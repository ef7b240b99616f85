using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// Every fix keeps the user's comments: each <c>/* keep N */</c> or <c>// keep N</c> placed around, before, after and
/// inside what the fix rewrites is still there exactly once after the first action is applied, and the result compiles.
/// </summary>
public sealed class FixTriviaTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    public static TheoryData<string> Rules()
    {
        var data = new TheoryData<string>();
        foreach (string id in Sources.Keys)
            data.Add(id);
        return data;
    }

    [Fact]
    public void Every_rule_with_a_fix_has_a_case_here()
    {
        Assert.Equal(RuleCatalogTests.FixableIds(), Sources.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task The_fix_keeps_every_comment_around_and_inside_what_it_rewrites(string id)
    {
        var analyzer = RuleCatalogTests.Analyzers().Single(a => a.SupportedDiagnostics.Any(d => d.Id == id));
        var fixer = RuleCatalogTests.FixProviders().Single(f => f.FixableDiagnosticIds.Contains(id));
        var project = (await FixAllInSolutionTests.CreateSolutionAsync(new[] { Sources[id] }, FixAllInSolutionTests.ObservedFindings(id, new[] { Sources[id] }))).Projects.Single();
        var diagnostic = Assert.Single(await FixAllInSolutionTests.DiagnosticsAsync(project, analyzer, id));
        var document = project.Documents.Single();
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));

        var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
        var fixedProject = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.Projects.Single();
        string before = Sources[id];
        string after = (await fixedProject.Documents.Single().GetTextAsync()).ToString();

        Assert.NotEqual(before, after);
        Assert.Empty(await FixAllInSolutionTests.ErrorsAsync(fixedProject));
        var kept = Regex.Matches(before, @"keep \d+").Select(m => m.Value).ToList();
        Assert.True(kept.Count >= 3, "each case places several comments");
        Assert.All(kept, comment => Assert.True(Regex.Count(after, Regex.Escape(comment) + @"\b") == 1, $"'{comment}' lost or repeated:\n{after}"));
    }

    private static readonly Dictionary<string, string> Sources = new()
    {
        // The observed rules run the static fixes; the findings name these classes and the "// checked" line.
        ["GG1001"] = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 1);
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    x = /* keep 1 */ fc1.call(x).sigmoid(); // keep 2
                    x = fc2.call(x)./* keep 3 */sigmoid();
                    return fc3.call(x);
                }
            }
            """,
        ["GG1002"] = Usings + """
            static class Trainer
            {
                public static void Train(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x)
                {
                    model.call(x).sum().backward(); // checked, keep 1
                    // keep 2
                    optimizer.step(); // keep 3
                }
            }
            """,
        ["GG1003"] = Usings + """
            static class Trainer
            {
                public static void Train(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x)
                {
                    model.call(x).sum().backward(); // checked, keep 1
                    /* keep 2 */ optimizer.step(); // keep 3
                }
            }
            """,
        ["GG0001"] = Usings + """
            static class Models
            {
                // keep 1
                public static Sequential Create() => nn.Sequential( // keep 2
                    nn.Linear(8, 16), /* keep 3 */ nn.Sigmoid() /* keep 4 */, nn.Linear(16, 16), nn.Sigmoid(), // keep 5
                    nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 1)); // keep 6
            }
            """,
        ["GG0002"] = Usings + """
            static class Models
            {
                public static Sequential Create()
                {
                    var fc1 = nn.Linear(16, 32);
                    // keep 1
                    nn.init.xavier_uniform_(/* keep 2 */ fc1.weight); // keep 3
                    return nn.Sequential(fc1, nn.ReLU(), nn.Linear(32, 1));
                }
            }
            """,
        ["GG0003"] = Usings + """
            static class Trainer
            {
                public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                {
                    var optimizer = optim.Adam(model.parameters());
                    model.forward(x).sum().backward(); // keep 1

                    // keep 2
                    optimizer.step(); // keep 3
                }
            }
            """,
        ["GG0004"] = Usings + """
            static class Trainer
            {
                public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                {
                    var optimizer = optim.Adam(model.parameters());
                    model.forward(x).sum().backward(); // keep 1
                    // keep 2
                    optimizer.step(); // keep 3
                    nn.utils.clip_grad_norm_(model.parameters(), /* keep 4 */ 1.0);
                    // keep 5
                }
            }
            """,
        ["GG0005"] = Usings + """
            class Encoder : nn.Module<Tensor, Tensor>
            {
                // keep 1
                private readonly /* keep 2 */ RNN rnn = nn.RNN(8, /* keep 3 */ 16, batchFirst: true); // keep 4
                public Encoder() : base("encoder") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => rnn.call(x).Item1;
            }
            """,
        ["GG0006"] = Usings + """
            static class Deep
            {
                public static Sequential Create() => nn.Sequential( // keep 1
                    nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), // keep 2
                    nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), /* keep 3 */
                    nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)); // keep 4
            }
            """,
        ["GG0007"] = Usings + """
            static class Losses
            {
                // keep 1
                public static Tensor Binary(Tensor logits, Tensor targets) =>
                    nn.functional.binary_cross_entropy(/* keep 2 */ torch.sigmoid(logits), targets); // keep 3
            }
            """,
        ["GG0008"] = Usings + """
            static class Accumulating
            {
                public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                {
                    var optimizer = optim.SGD(model.parameters(), 0.1);
                    for (int i = 0; i < 10; i++) // keep 1
                    { // keep 2
                        // keep 3
                        model.forward(x).sum().backward();
                        optimizer.step(); // keep 4
                    }
                }
            }
            """,
        ["GG0009"] = Usings + """
            class Listed : nn.Module<Tensor, Tensor>
            {
                // keep 1
                private readonly List<Linear> /* keep 2 */ layers = new List<Linear>(); // keep 3
                public Listed() : base("listed") { layers.Add(nn.Linear(4, 4)); RegisterComponents(); }
                public override Tensor forward(Tensor x) { foreach (var l in layers) x = l.call(x); return x; }
            }
            """,
    };
}
