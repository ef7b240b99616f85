using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// Fix All as the IDE and <c>dotnet format</c> use it: for each rule, a project of several files with several
/// diagnostics, one Fix All in solution scope through the fix's own <see cref="FixAllProvider"/>, then the result must
/// compile and hold no diagnostic of that rule.
/// </summary>
public sealed class FixAllInSolutionTests
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
        foreach (string id in Projects.Keys)
            data.Add(id);
        return data;
    }

    [Fact]
    public void Every_rule_with_a_fix_has_a_project_here()
    {
        Assert.Equal(RuleCatalogTests.FixableIds(), Projects.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task Fix_All_in_solution_scope_fixes_every_diagnostic_and_the_result_compiles(string id)
    {
        var analyzer = RuleCatalogTests.Analyzers().Single(a => a.SupportedDiagnostics.Any(d => d.Id == id));
        var fixer = RuleCatalogTests.FixProviders().Single(f => f.FixableDiagnosticIds.Contains(id));
        var solution = await CreateSolutionAsync(Projects[id], ObservedFindings(id, Projects[id]));
        var project = solution.Projects.Single();

        var before = await DiagnosticsAsync(project, analyzer, id);
        Assert.True(before.Length >= 3, $"{id}: the project must show several diagnostics, found: {string.Join("; ", before)}; errors: {string.Join("; ", await ErrorsAsync(project))}");
        Assert.True(before.Select(d => d.Location.SourceTree).Distinct().Count() >= 2, $"{id}: the diagnostics must span files");
        Assert.Empty(await ErrorsAsync(project));

        // The equivalence key of the action offered for the first diagnostic, as the light bulb's "Fix all" uses it.
        var first = before[0];
        var actions = new List<CodeAction>();
        var document = project.GetDocument(first.Location.SourceTree)!;
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => actions.Add(a), CancellationToken.None));
        Assert.NotEmpty(actions);

        var context = new FixAllContext(document, fixer, FixAllScope.Solution, actions[0].EquivalenceKey, new[] { id }, new Provider(before), CancellationToken.None);
        var fixAll = await fixer.GetFixAllProvider()!.GetFixAsync(context);
        Assert.NotNull(fixAll);
        var operations = await fixAll!.GetOperationsAsync(CancellationToken.None);
        var fixedSolution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var fixedProject = fixedSolution.Projects.Single();

        Assert.Empty(await ErrorsAsync(fixedProject));
        Assert.Empty(await DiagnosticsAsync(fixedProject, analyzer, id));
    }

    // Two or three files per rule, each with what the rule flags, in the forms its fix handles.
    private static readonly Dictionary<string, string[]> Projects = new()
    {
        ["GG1001"] = new[] { ObservedModel("NetA") + ObservedModel("NetB").Replace(Usings, "", StringComparison.Ordinal), ObservedModel("NetC") },
        ["GG1002"] = new[] { ObservedLoop("LoopA") + ObservedLoop("LoopB").Replace(Usings, "", StringComparison.Ordinal), ObservedLoop("LoopC") },
        ["GG1003"] = new[] { ObservedLoop("LoopA"), ObservedLoop("LoopB") + ObservedLoop("LoopC").Replace(Usings, "", StringComparison.Ordinal) },
        ["GG0001"] = new[]
        {
            Usings + """
                static class Classifiers
                {
                    public static Sequential Create() => nn.Sequential(
                        nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 1));
                }
                """,
            Usings + """
                static class Looped
                {
                    public static Sequential Create()
                    {
                        var layers = new List<nn.Module<Tensor, Tensor>>();
                        for (int i = 0; i < 4; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Tanh()); }
                        layers.Add(nn.Linear(16, 1));
                        return nn.Sequential(layers);
                    }
                }
                """,
            Usings + """
                class Net : nn.Module<Tensor, Tensor>
                {
                    private readonly Linear fc1 = nn.Linear(8, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 1);
                    public Net() : base("net") { RegisterComponents(); }
                    public override Tensor forward(Tensor x) => fc4.call(fc3.call(fc2.call(fc1.call(x).sigmoid()).sigmoid()).sigmoid());
                }
                """,
        },
        ["GG0002"] = new[]
        {
            Usings + """
                static class Single
                {
                    public static Sequential Create()
                    {
                        var fc1 = nn.Linear(16, 32);
                        nn.init.xavier_uniform_(fc1.weight);
                        return nn.Sequential(fc1, nn.ReLU(), nn.Linear(32, 1));
                    }
                }
                """,
            Usings + """
                static class Looped
                {
                    public static Sequential Create()
                    {
                        var fc1 = nn.Linear(16, 32);
                        var fc2 = nn.Linear(32, 1);
                        foreach (var layer in new[] { fc1, fc2 })
                            nn.init.xavier_normal_(layer.weight);
                        var model = nn.Sequential(fc1, nn.ReLU(), fc2);
                        model.apply(m => { if (m is Linear linear) nn.init.xavier_uniform_(linear.weight); });
                        return model;
                    }
                }
                """,
        },
        ["GG0003"] = new[]
        {
            Usings + """
                static class Trainer
                {
                    public static void Train(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
                    {
                        var optimizer = optim.Adam(model.parameters());
                        for (int i = 0; i < 10; i++)
                        {
                            optimizer.zero_grad();
                            nn.functional.mse_loss(model.forward(x), y).backward();
                            optimizer.step();
                        }
                    }
                }
                """,
            Usings + """
                static class Gan
                {
                    public static void Train(nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> critic, Tensor z)
                    {
                        var g = optim.Adam(generator.parameters());
                        var c = optim.Adam(critic.parameters());
                        critic.forward(generator.forward(z)).mean().backward();
                        g.step();
                        c.step();
                    }
                }
                """,
        },
        ["GG0004"] = new[]
        {
            Usings + """
                static class Late
                {
                    public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        var optimizer = optim.SGD(model.parameters(), 0.1);
                        for (int i = 0; i < 3; i++)
                        {
                            optimizer.zero_grad();
                            model.forward(x).sum().backward();
                            optimizer.step();
                            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                        }
                    }
                }
                """,
            Usings + """
                static class Early
                {
                    public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        var optimizer = optim.SGD(model.parameters(), 0.1);
                        optimizer.zero_grad();
                        nn.utils.clip_grad_value_(model.parameters(), 0.5);
                        model.forward(x).sum().backward();
                        optimizer.step();
                    }

                    public static void Again(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        var optimizer = optim.Adam(model.parameters());
                        model.forward(x).sum().backward();
                        optimizer.step();
                        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    }
                }
                """,
        },
        ["GG0005"] = new[]
        {
            Usings + """
                class Encoder : nn.Module<Tensor, Tensor>
                {
                    private readonly RNN rnn = nn.RNN(8, 16, numLayers: 2, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true);
                    public Encoder() : base("encoder") { RegisterComponents(); }
                    public override Tensor forward(Tensor x) => rnn.call(x, null).Item1;
                }
                """,
            Usings + """
                static class Factory
                {
                    public static RNN First() => nn.RNN(4, 8);
                    public static nn.Module<Tensor, Tensor, (Tensor, Tensor)> Second() => nn.RNN(4, 8, batchFirst: true);
                }
                """,
        },
        ["GG0006"] = new[]
        {
            Usings + """
                static class Deep
                {
                    public static Sequential Create() => nn.Sequential(
                        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10));
                }
                """,
            Usings + """
                static class Deeper
                {
                    public static Sequential Create() => nn.Sequential(
                        nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(),
                        nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 1));

                    public static Sequential Convolutional() => nn.Sequential(
                        nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(),
                        nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Conv2d(16, 8, 3));
                }
                """,
        },
        ["GG0007"] = new[]
        {
            Usings + """
                static class Losses
                {
                    public static Tensor Binary(Tensor logits, Tensor targets) => nn.functional.binary_cross_entropy(torch.sigmoid(logits), targets);
                    public static Tensor LogProbabilities(Tensor logits) => torch.log(nn.functional.softmax(logits, 1));
                }
                """,
            Usings + """
                static class More
                {
                    public static Tensor Classes(Tensor logits, Tensor labels) => nn.functional.cross_entropy(nn.functional.softmax(logits, 1), labels);
                    public static Tensor Method(Tensor logits, Tensor targets) => nn.functional.binary_cross_entropy(logits.sigmoid(), targets);
                }
                """,
        },
        ["GG0008"] = new[]
        {
            Usings + """
                static class Accumulating
                {
                    public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        var optimizer = optim.SGD(model.parameters(), 0.1);
                        for (int i = 0; i < 10; i++)
                        {
                            model.forward(x).sum().backward();
                            optimizer.step();
                        }
                    }
                }
                """,
            Usings + """
                static class AlsoAccumulating
                {
                    public static void Train(nn.Module<Tensor, Tensor> model, IEnumerable<Tensor> batches)
                    {
                        var optimizer = optim.Adam(model.parameters());
                        foreach (var x in batches)
                        {
                            model.forward(x).sum().backward();
                            optimizer.step();
                        }
                        int n = 0;
                        while (n++ < 5)
                        {
                            model.forward(torch.ones(1)).sum().backward();
                            optimizer.step();
                        }
                    }
                }
                """,
        },
        ["GG0009"] = new[]
        {
            Usings + """
                class Listed : nn.Module<Tensor, Tensor>
                {
                    private readonly List<Linear> layers = new List<Linear>();
                    public Listed() : base("listed") { layers.Add(nn.Linear(4, 4)); RegisterComponents(); }
                    public override Tensor forward(Tensor x) { foreach (var l in layers) x = l.call(x); return x; }
                }
                """,
            Usings + """
                class Named : nn.Module<Tensor, Tensor>
                {
                    private readonly Dictionary<string, Linear> heads = new Dictionary<string, Linear>();
                    private readonly List<Conv2d> convs = new List<Conv2d>();
                    public Named() : base("named") { heads["a"] = nn.Linear(4, 4); convs.Add(nn.Conv2d(1, 1, 3)); RegisterComponents(); }
                    public override Tensor forward(Tensor x) => heads["a"].call(x);
                }
                """,
        },
    };

    // The observed rules' fixes: three model classes trained with Sigmoid stacks, three training steps that exploded or
    // went NaN, with the findings the monitor would write about them (each step's finding recorded at its "// checked" line).
    private static string ObservedModel(string name) => Usings + $$"""
        class {{name}} : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 1);
            public {{name}}() : base("{{name}}") { RegisterComponents(); }
            public override Tensor forward(Tensor x)
            {
                x = fc1.call(x).sigmoid();
                x = fc2.call(x).sigmoid();
                return fc3.call(x);
            }
        }
        """;

    private static string ObservedLoop(string name) => Usings + $$"""
        static class {{name}}
        {
            public static void Train(nn.Module<Tensor, Tensor> model, Tensor x)
            {
                var optimizer = optim.SGD(model.parameters(), 0.1);
                optimizer.zero_grad();
                model.call(x).sum().backward(); // checked
                optimizer.step();
            }
        }
        """;

    /// <summary>The findings file for an observed rule's project (null for the static rules), naming the "Consumer" project's types and files.</summary>
    internal static string? ObservedFindings(string id, string[] sources)
    {
        string? kind = id switch { "GG1001" => "Vanishing", "GG1002" => "Exploding", "GG1003" => "NonFinite", _ => null };
        if (kind is null)
            return null;
        var findings = new List<TestFinding>();
        for (int i = 0; i < sources.Length; i++)
        {
            foreach (System.Text.RegularExpressions.Match declared in System.Text.RegularExpressions.Regex.Matches(sources[i], @"class (\w+)"))
            {
                findings.Add(kind == "Vanishing"
                    ? new TestFinding(declared.Groups[1].Value, kind, "GG0001", "fc1") { Assembly = "Consumer" }
                    : new TestFinding("Model", kind, "GG0003") { Assembly = "Consumer", CallFile = $"/Consumer/File{i}.cs", CallLine = CheckedLine(sources[i], declared.Index) });
            }
        }
        return TestFinding.File(findings.ToArray());
    }

    // The line of the first "// checked" after a position, 1-based.
    private static int CheckedLine(string source, int from) => source.Substring(0, source.IndexOf("// checked", from, StringComparison.Ordinal)).Count(c => c == '\n') + 1;

    internal static async Task<Solution> CreateSolutionAsync(string[] sources, string? findings = null)
    {
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(projectId, "Consumer", "Consumer", LanguageNames.CSharp)
            .WithProjectCompilationOptions(projectId, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable))
            .WithProjectParseOptions(projectId, new CSharpParseOptions(LanguageVersion.Latest))
            .AddMetadataReferences(projectId, references.Add(TestReferences.TorchSharp));
        for (int i = 0; i < sources.Length; i++)
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), $"File{i}.cs", sources[i], filePath: $"/Consumer/File{i}.cs");
        if (findings is not null)
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), "gradientguard.findings.json", findings, filePath: "/Consumer/obj/gradientguard.findings.json");
        return solution;
    }

    internal static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Project project, DiagnosticAnalyzer analyzer, string id)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var all = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer), project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(all, d => d.Id == "AD0001");
        return all.Where(d => d.Id == id).OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    internal static async Task<List<Diagnostic>> ErrorsAsync(Project project) =>
        (await project.GetCompilationAsync())!.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    private sealed class Provider : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> diagnostics;

        public Provider(ImmutableArray<Diagnostic> diagnostics) => this.diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
