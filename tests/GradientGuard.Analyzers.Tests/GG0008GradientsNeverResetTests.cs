using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0008GradientsNeverResetAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0008AddZeroGradCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0008GradientsNeverResetTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using TorchSharp;
        using static TorchSharp.torch;

        """;

    private static DiagnosticResult Expected(int location, string step) =>
        Verify.Diagnostic(GradientGuard.Analyzers.Rules.GG0008GradientsNeverResetAnalyzer.Rule).WithLocation(location).WithArguments(step);

    [Fact]
    public async Task A_loop_without_zero_grad_gets_one_at_the_start_of_its_body_even_when_one_runs_before_the_loop()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(IEnumerable<(Tensor, Tensor)> data, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    optimizer.zero_grad(); // once, before the loop: not enough
                    foreach (var (x, y) in data)
                    {
                        var loss = nn.functional.mse_loss(model.call(x), y);
                        loss.backward();
                        {|#0:optimizer.step()|};
                    }
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                void Train(IEnumerable<(Tensor, Tensor)> data, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    optimizer.zero_grad(); // once, before the loop: not enough
                    foreach (var (x, y) in data)
                    {
                        optimizer.zero_grad();
                        var loss = nn.functional.mse_loss(model.call(x), y);
                        loss.backward();
                        optimizer.step();
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, "optimizer.step()"));
    }

    [Fact]
    public async Task A_loop_of_a_nested_type_is_reported_once_and_helpers_of_other_types_of_the_file_are_followed()
    {
        // Loops are judged at their type's end: a nested type's loop once (not again by the enclosing type); a helper of
        // another type of the file that resets the gradients silences the other loop.
        string source = Usings + """
            class Outer
            {
                class Inner
                {
                    void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                    {
                        for (int i = 0; i < 10; i++)
                        {
                            net.forward(x).sum().backward();
                            {|#0:optimizer.step()|};
                        }
                    }
                }

                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        Reset.All(optimizer);
                        net.forward(x).sum().backward();
                        optimizer.step();
                    }
                }
            }

            static class Reset
            {
                public static void All(optim.Optimizer optimizer) => optimizer.zero_grad();
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(0, "optimizer.step()"));
    }

    [Fact]
    public async Task Nested_loops_report_once_for_the_inner_loop_and_helpers_are_followed()
    {
        string source = Usings + """
            class Trainer
            {
                private readonly optim.Optimizer opt;
                public Trainer(nn.Module<Tensor, Tensor> model) { opt = optim.SGD(model.parameters(), 0.1); }

                void Train(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    for (int epoch = 0; epoch < 10; epoch++)
                        for (int batch = 0; batch < 100; batch++)
                        {
                            Backward(model, x);
                            {|#0:opt.step()|};
                        }
                }

                static void Backward(nn.Module<Tensor, Tensor> model, Tensor x) => model.call(x).sum().backward();
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                private readonly optim.Optimizer opt;
                public Trainer(nn.Module<Tensor, Tensor> model) { opt = optim.SGD(model.parameters(), 0.1); }

                void Train(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    for (int epoch = 0; epoch < 10; epoch++)
                        for (int batch = 0; batch < 100; batch++)
                        {
                            opt.zero_grad();
                            Backward(model, x);
                            opt.step();
                        }
                }

                static void Backward(nn.Module<Tensor, Tensor> model, Tensor x) => model.call(x).sum().backward();
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, "opt.step()"));
    }

    [Fact]
    public async Task Zero_grad_anywhere_in_the_loop_on_the_optimizer_or_the_module_or_in_an_accumulation_branch_is_fine()
    {
        string source = Usings + """
            class Trainer
            {
                void AfterStep(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    while (true)
                    {
                        model.call(x).sum().backward();
                        optimizer.step();
                        optimizer.zero_grad();
                    }
                }

                void OnTheModule(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        model.zero_grad();
                        model.call(x).sum().backward();
                        optimizer.step();
                    }
                }

                void Accumulating(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    for (int i = 0; i < 100; i++)
                    {
                        model.call(x).sum().div(4).backward();
                        if ((i + 1) % 4 == 0)
                        {
                            optimizer.step();
                            optimizer.zero_grad();
                        }
                    }
                }

                void InAHelper(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    do
                    {
                        Reset(optimizer);
                        model.call(x).sum().backward();
                        optimizer.step();
                    } while (true);
                }

                static void Reset(optim.Optimizer optimizer) => optimizer.zero_grad();

                void NoStep(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    for (int i = 0; i < 3; i++)
                        model.call(x).sum().backward();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_loop_whose_step_is_in_a_local_function_declared_beside_it_is_read_through_that_function()
    {
        // The loop's own text never says "step": only the local function it calls does.
        string source = Usings + """
            class Trainer
            {
                void Train(IEnumerable<(Tensor, Tensor)> data, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    foreach (var (x, y) in data)
                    {
                        var loss = nn.functional.mse_loss(model.call(x), y);
                        loss.backward();
                        {|#0:Update()|};
                    }

                    void Update() => optimizer.step();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(0, "Update()"));
    }

    [Fact]
    public async Task A_top_level_loop_whose_step_is_in_a_top_level_local_function_is_read_through_it()
    {
        string source = """
            using TorchSharp;

            var model = torch.nn.Linear(3, 1);
            var optimizer = torch.optim.SGD(model.parameters(), 0.01);
            for (int i = 0; i < 10; i++)
            {
                model.forward(torch.randn(8, 3)).sum().backward();
                {|#0:Update()|};
            }

            void Update() => optimizer.step();
            """;
        var test = new Verify.Test { TestCode = source };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(Expected(0, "Update()"));
        await test.RunAsync();
    }
}

