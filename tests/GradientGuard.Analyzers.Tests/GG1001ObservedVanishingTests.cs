using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG1001ObservedVanishingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG1001ObservedVanishingCodeFix>;

namespace GradientGuard.Analyzers.Tests;

/// <summary>GG1001 places a vanishing finding on the layer it names, in every form a layer is declared, and forgets it when it is stale.</summary>
public sealed class GG1001ObservedVanishingTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private static readonly string[] NetChildren = { "fc1:TorchSharp.Modules.Linear", "fc2:TorchSharp.Modules.Linear", "fc3:TorchSharp.Modules.Linear", "fc4:TorchSharp.Modules.Linear" };

    // Location and ID; the message is asserted where it is the point of the test.
    private static DiagnosticResult Observed() => new("GG1001", DiagnosticSeverity.Warning);

    private static TestFinding Sigmoid(string type, params string[] layers) => new(type, "Vanishing", "GG0001", layers);

    private static string FieldNet(string name = "fc1", string activation = "sigmoid") => Usings + $$"""
        namespace Models
        {
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear {{name}} = nn.Linear(8, 8);
                private readonly Linear fc2 = nn.Linear(8, 8);
                private readonly Linear fc3 = nn.Linear(8, 8);
                private readonly Linear fc4 = nn.Linear(8, 1);

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x)
                {
                    x = {{name}}.call(x).{{activation}}();
                    x = fc2.call(x).{{activation}}();
                    x = fc3.call(x).{{activation}}();
                    return fc4.call(x);
                }
            }
        }
        """;

    [Fact]
    public async Task A_field_layer_gets_the_diagnostic_with_the_evidence_and_the_ReLU_fix_makes_it_go_away()
    {
        string source = Usings + """
            namespace Models
            {
                class Net : nn.Module<Tensor, Tensor>
                {
                    private readonly Linear {|#0:fc1|} = nn.Linear(8, 8);
                    private readonly Linear fc2 = nn.Linear(8, 8);
                    private readonly Linear fc3 = nn.Linear(8, 8);
                    private readonly Linear fc4 = nn.Linear(8, 1);

                    public Net() : base("net") { RegisterComponents(); }

                    public override Tensor forward(Tensor x)
                    {
                        x = {|#1:fc1.call(x).sigmoid()|};
                        x = {|#2:fc2.call(x).sigmoid()|};
                        x = {|#3:fc3.call(x).sigmoid()|};
                        return fc4.call(x);
                    }
                }
            }
            """;
        string fixedSource = FieldNet(activation: "relu");
        var finding = Sigmoid("Models.Net", "fc1", "fc2") with { Children = NetChildren, Time = new DateTimeOffset(DateTime.UtcNow.Date.AddHours(1), TimeSpan.Zero) };
        string day = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var expected = Observed().WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
            .WithMessage($"Training observed vanishing gradients in 'fc1', 'fc2' at step 7 (gradient norm of 'fc1' relative to 'fc4' 1.23E-05, threshold 0.001; trained on {day}). " +
                         "Cause: the gradient passes through 3 Sigmoid activations. Fix: replace the hidden Sigmoid/Tanh activations with ReLU (quick fix of GG0001).");
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.ReLUKey, null, expected);
    }

    [Fact]
    public async Task Without_a_findings_file_the_observed_rules_register_nothing_and_with_one_a_single_file_action()
    {
        var analyzers = RuleCatalogTests.Analyzers().Where(a => a.SupportedDiagnostics.Any(d => d.Id.StartsWith("GG1", StringComparison.Ordinal) || d.Id == "GG9002")).ToImmutableArray();
        Assert.Equal(4, analyzers.Length);
        string[] sources = { FieldNet(), Usings + "class Other { }" };
        foreach (string? findings in new[] { null, TestFinding.File(Sigmoid("Models.Net", "fc1") with { Assembly = "Consumer" }) })
        {
            var project = (await FixAllInSolutionTests.CreateSolutionAsync(sources, findings)).Projects.Single();
            var compilation = (await project.GetCompilationAsync())!;
            var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(project.AnalyzerOptions, null, concurrentAnalysis: true, logAnalyzerExecutionTime: true));
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            foreach (var analyzer in analyzers)
            {
                var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
                int expected = findings is not null && analyzer.SupportedDiagnostics[0].Id == "GG1001" ? 1 : 0;
                Assert.Equal(expected, telemetry.SemanticModelActionsCount);
                Assert.Equal(0, telemetry.SyntaxNodeActionsCount + telemetry.OperationActionsCount + telemetry.SymbolActionsCount + telemetry.AdditionalFileActionsCount +
                                telemetry.CompilationEndActionsCount + telemetry.OperationBlockActionsCount + telemetry.CodeBlockActionsCount);
            }
            Assert.Equal(findings is null ? 0 : 1, diagnostics.Count(d => d.Id == "GG1001"));
        }
    }

    [Fact]
    public async Task A_sequential_element_is_found_by_its_tuple_name_and_by_its_index()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential body = nn.Sequential(
                    ("input", {|#0:nn.Linear(8, 8)|}), ("act1", {|#1:nn.Sigmoid()|}),
                    ("hidden", nn.Linear(8, 8)), ("act2", {|#2:nn.Sigmoid()|}),
                    ("out", nn.Linear(8, 1)));
                private readonly Sequential head = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), {|#3:nn.Linear(4, 1)|});

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x) => head.call(body.call(x));
            }
            """;
        var named = Sigmoid("Net", "body.input");
        var indexed = Sigmoid("Net", "head.2") with { Measure = "other" };
        // The class's forward applies Sequentials, which its path does not see through: the held Sequentials are the path.
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(named, indexed), fixedSource: null, null, null,
            Observed().WithLocation(0).WithLocation(1).WithLocation(2),
            Observed().WithLocation(3).WithLocation(1).WithLocation(2));
    }

    [Fact]
    public async Task A_layer_of_a_list_built_in_a_loop_is_the_layer_the_loop_adds()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();

                public Net() : base("net")
                {
                    for (int i = 0; i < 4; i++)
                        layers.Add({|#0:nn.Linear(8, 8)|});
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var layer in layers)
                        x = {|#1:layer.call(x).sigmoid()|};
                    return x;
                }
            }
            """;
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(Sigmoid("Net", "layers.2")), fixedSource: null, null, null,
            Observed().WithLocation(0).WithLocation(1));
    }

    [Fact]
    public async Task A_finding_that_names_no_layer_goes_on_the_model_class()
    {
        string source = FieldNet().Replace("class Net", "class {|#0:Net|}", StringComparison.Ordinal);
        var finding = new TestFinding("Models.Net", "Vanishing", "GG0006") { Advice = "add normalization (GG0006)" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource: null, null, null, Observed().WithLocation(0));
    }

    [Fact]
    public async Task An_early_sign_is_reported_as_info_not_as_a_warning()
    {
        string source = FieldNet().Replace("class Net", "class {|#0:Net|}", StringComparison.Ordinal);
        var finding = new TestFinding("Models.Net", "Vanishing", "GG0006") { Advice = "add normalization (GG0006)", Severity = "Info" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource: null, null, null,
            new DiagnosticResult("GG1001", DiagnosticSeverity.Info).WithLocation(0));
    }

    [Fact]
    public async Task A_generic_model_is_found_by_its_definition_and_its_own_assembly()
    {
        // Its CLR name carries assembly-qualified type arguments in [[...]]: the model's assembly is the one after them.
        string source = FieldNet().Replace("class Net : nn.Module<Tensor, Tensor>", "class {|#0:Net|}<T> : nn.Module<Tensor, Tensor>", StringComparison.Ordinal)
                                  .Replace("public Net()", "public Net()", StringComparison.Ordinal);
        var finding = new TestFinding("Models.Net`1[[System.Int32, System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]]", "Vanishing", "GG0006")
        {
            Advice = "add normalization (GG0006)",
        };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource: null, null, null, Observed().WithLocation(0));
    }

    [Fact]
    public async Task A_renamed_layer_a_changed_model_another_type_or_project_and_a_fixed_cause_raise_nothing()
    {
        string[] stale =
        {
            TestFinding.File(Sigmoid("Models.Net", "fc1", "fc2")),                                                 // fc1 was renamed to input
            TestFinding.File(Sigmoid("Models.Net", "fc2") with { LayerType = "TorchSharp.Modules.Conv1d" }),     // fc2 was a Conv1d
            TestFinding.File(Sigmoid("Models.Net", "fc2") with { Children = NetChildren }),                      // the children differ (fc1 -> input)
            TestFinding.File(Sigmoid("Models.Other", "fc2")),                                                     // no such type here
            TestFinding.File(Sigmoid("Models.Net", "fc2") with { Assembly = "AnotherProject" }),                  // the same name in another project
            TestFinding.File(new TestFinding("Models.Net", "Exploding", "GG0006", "fc2")),                         // another rule's kind
        };
        foreach (string findings in stale)
            await Verify.VerifyWithFindingsAsync(FieldNet(name: "input"), findings, fixedSource: null);
        // The Sigmoids were replaced: the cause is gone, whatever the file still says.
        await Verify.VerifyWithFindingsAsync(FieldNet(activation: "relu"), TestFinding.File(Sigmoid("Models.Net", "fc1") with { Children = NetChildren }), fixedSource: null);
    }

    [Fact]
    public async Task A_finding_older_than_max_age_days_fades_out_and_the_option_brings_it_back()
    {
        var old = Sigmoid("Models.Net", "fc2") with { Time = DateTimeOffset.UtcNow.AddDays(-45) };
        await Verify.VerifyWithFindingsAsync(FieldNet(), TestFinding.File(old), fixedSource: null);
        await Verify.VerifyWithFindingsAsync(FieldNetMarked(), TestFinding.File(old), fixedSource: null, null, "gradientguard.GG1001.max_age_days = 60",
            Observed().WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3));
    }

    private static string FieldNetMarked() => Usings + """
        namespace Models
        {
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 8);
                private readonly Linear {|#0:fc2|} = nn.Linear(8, 8);
                private readonly Linear fc3 = nn.Linear(8, 8);
                private readonly Linear fc4 = nn.Linear(8, 1);

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x)
                {
                    x = {|#1:fc1.call(x).sigmoid()|};
                    x = {|#2:fc2.call(x).sigmoid()|};
                    x = {|#3:fc3.call(x).sigmoid()|};
                    return fc4.call(x);
                }
            }
        }
        """;

    [Fact]
    public async Task Vanishing_under_the_default_init_offers_the_GG0002_init_and_goes_away_once_initialized()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear {|#0:fc1|} = nn.Linear(8, 8);
                private readonly Linear fc2 = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => fc2.call(fc1.call(x).relu());
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 8);
                private readonly Linear fc2 = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    RegisterComponents();
                    nn.init.kaiming_normal_(fc1.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
                    nn.init.zeros_(fc1.bias!);
                    nn.init.xavier_uniform_(fc2.weight);
                    nn.init.zeros_(fc2.bias!);
                }

                public override Tensor forward(Tensor x) => fc2.call(fc1.call(x).relu());
            }
            """;
        var finding = new TestFinding("Net", "Vanishing", "GG0002", "fc1") { Advice = "initialize with kaiming_normal_ (quick fix of GG0002)" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource, GG0002SuitInitializationCodeFix.AddInitKey, null,
            Observed().WithLocation(0));
    }
}
