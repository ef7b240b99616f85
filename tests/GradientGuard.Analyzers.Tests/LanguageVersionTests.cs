using System.Threading.Tasks;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using GG0001 = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0001SaturatingActivationStackAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0001ReplaceSaturatingActivationsCodeFix>;
using GG0003 = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0003StepWithoutGradientClippingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0003AddGradientClippingCodeFix>;
using GG0008 = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0008GradientsNeverResetAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0008AddZeroGradCodeFix>;
using GG0009 = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0009UnregisteredLayersAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0009UseModuleListCodeFix>;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The forms whose syntax differs between C# versions: the oldest the SDK still compiles for (C# 8: block namespaces,
/// explicit types) and the newest (file-scoped namespaces, target-typed new, collection expressions, primary
/// constructors). The rules read them alike and the fixes keep the file's own form.
/// </summary>
public sealed class LanguageVersionTests
{
    [Fact]
    public async Task CSharp8_a_step_is_found_and_clipped_and_a_loop_gets_zero_grad()
    {
        string source = """
            using TorchSharp;
            using static TorchSharp.torch;

            namespace Training
            {
                class Trainer
                {
                    void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        optim.Optimizer optimizer = optim.Adam(model.parameters());
                        for (int i = 0; i < 3; i++)
                        {
                            optimizer.zero_grad();
                            model.forward(x).sum().backward();
                            {|#0:optimizer.step()|};
                        }
                    }
                }
            }
            """;
        string fixedSource = """
            using TorchSharp;
            using static TorchSharp.torch;

            namespace Training
            {
                class Trainer
                {
                    void Train(nn.Module<Tensor, Tensor> model, Tensor x)
                    {
                        optim.Optimizer optimizer = optim.Adam(model.parameters());
                        for (int i = 0; i < 3; i++)
                        {
                            optimizer.zero_grad();
                            model.forward(x).sum().backward();
                            nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
                            optimizer.step();
                        }
                    }
                }
            }
            """;
        var test = new GG0003.Test { TestCode = source, FixedCode = fixedSource };
        At(test, LanguageVersion.CSharp8);
        test.ExpectedDiagnostics.Add(GG0003.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
        await test.RunAsync();
    }

    [Fact]
    public async Task Latest_file_scoped_namespace_and_a_primary_constructor_keep_their_form_through_the_fix()
    {
        string source = """
            using TorchSharp;
            using static TorchSharp.torch;

            namespace Training;

            class Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
            {
                public void Train(Tensor x)
                {
                    while (true)
                    {
                        model.forward(x).sum().backward();
                        {|#0:optimizer.step()|};
                    }
                }

                public void Clipped(Tensor x)
                {
                    optimizer.zero_grad();
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    optimizer.step();
                }
            }
            """;
        string fixedSource = """
            using TorchSharp;
            using static TorchSharp.torch;

            namespace Training;

            class Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
            {
                public void Train(Tensor x)
                {
                    while (true)
                    {
                        optimizer.zero_grad();
                        model.forward(x).sum().backward();
                        optimizer.step();
                    }
                }

                public void Clipped(Tensor x)
                {
                    optimizer.zero_grad();
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    optimizer.step();
                }
            }
            """;
        var test = new GG0008.Test { TestCode = source, FixedCode = fixedSource };
        At(test, LanguageVersion.Latest);
        test.ExpectedDiagnostics.Add(GG0008.Diagnostic(GG0008GradientsNeverResetAnalyzer.Rule).WithLocation(0).WithArguments("optimizer.step()"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Latest_collection_expressions_are_read_as_the_layers_they_list()
    {
        string source = """
            using System.Collections.Generic;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            class Models
            {
                Sequential Inline() => nn.{|#0:Sequential|}([nn.Linear(8, 8), {|#1:nn.Tanh()|}, nn.Linear(8, 8), {|#2:nn.Tanh()|}, nn.Linear(8, 8), {|#3:nn.Tanh()|}, nn.Linear(8, 1)]);

                Sequential Listed()
                {
                    List<nn.Module<Tensor, Tensor>> layers = [nn.Linear(8, 8), {|#5:nn.Sigmoid()|}, nn.Linear(8, 8), {|#6:nn.Sigmoid()|}];
                    layers.Add(nn.Linear(8, 8));
                    layers.Add({|#7:nn.Sigmoid()|});
                    layers.Add(nn.Linear(8, 1));
                    return nn.{|#4:Sequential|}(layers);
                }

                Sequential Spread(List<nn.Module<Tensor, Tensor>> more) => nn.Sequential([nn.Linear(8, 8), nn.Tanh(), .. more, nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)]);
            }
            """;
        var test = new GG0001.Test { TestCode = source };
        At(test, LanguageVersion.Latest);
        test.ExpectedDiagnostics.Add(GG0001.Diagnostic(DiagnosticSeverity.Warning).WithArguments(3).WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3));
        test.ExpectedDiagnostics.Add(GG0001.Diagnostic(DiagnosticSeverity.Warning).WithArguments(3).WithLocation(4).WithLocation(5).WithLocation(6).WithLocation(7));
        await test.RunAsync();
    }

    [Fact]
    public async Task Latest_a_target_typed_new_list_field_becomes_a_ModuleList_with_the_same_form()
    {
        string source = """
            using System.Collections.Generic;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Models;

            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly List<Linear> {|#0:layers|} = new();

                public Net() : base("net") { layers.Add(nn.Linear(4, 4)); RegisterComponents(); }

                public override Tensor forward(Tensor x) { foreach (var layer in layers) x = layer.call(x); return x; }
            }
            """;
        string fixedSource = """
            using System.Collections.Generic;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Models;

            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new();

                public Net() : base("net") { layers.Add(nn.Linear(4, 4)); RegisterComponents(); }

                public override Tensor forward(Tensor x) { foreach (var layer in layers) x = layer.call(x); return x; }
            }
            """;
        var test = new GG0009.Test { TestCode = source, FixedCode = fixedSource };
        At(test, LanguageVersion.Latest);
        test.ExpectedDiagnostics.Add(GG0009.Diagnostic(GG0009UnregisteredLayersAnalyzer.Rule).WithLocation(0).WithArguments("layers", "modules", "List", "ModuleList<T>"));
        await test.RunAsync();
    }

    private static void At(CodeFixTest<DefaultVerifier> test, LanguageVersion version) =>
        test.SolutionTransforms.Add((solution, project) =>
            solution.WithProjectParseOptions(project, ((CSharpParseOptions)solution.GetProject(project)!.ParseOptions!).WithLanguageVersion(version)));
}
