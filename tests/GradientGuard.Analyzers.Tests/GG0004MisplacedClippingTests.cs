using System.Threading.Tasks;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0004MisplacedClippingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0004MoveClippingCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0004MisplacedClippingTests
{
    private const string Usings = """
        using TorchSharp;
        using static TorchSharp.torch;

        """;

    [Fact]
    public async Task Clipping_after_step_moves_before_the_step()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        optimizer.zero_grad();
                        model.call(x).sum().backward();
                        {|#1:optimizer.step()|};
                        {|#0:nn.utils.clip_grad_norm_(model.parameters(), 1.0)|};
                    }
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        optimizer.zero_grad();
                        model.call(x).sum().backward();
                        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                        optimizer.step();
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0004MisplacedClippingAnalyzer.Misplaced).WithLocation(0).WithLocation(1)
                .WithArguments("clip_grad_norm_", "after step(), on gradients that were already applied"));
    }

    [Fact]
    public async Task Clipping_before_backward_moves_between_backward_and_step()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    optimizer.zero_grad();
                    {|#0:nn.utils.clip_grad_value_(model.parameters(), 0.5)|};
                    model.call(x).sum().backward();
                    {|#1:optimizer.step()|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    optimizer.zero_grad();
                    model.call(x).sum().backward();
                    nn.utils.clip_grad_value_(model.parameters(), 0.5);
                    optimizer.step();
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0004MisplacedClippingAnalyzer.Misplaced).WithLocation(0).WithLocation(1)
                .WithArguments("clip_grad_value_", "before backward(), on stale or zeroed gradients"));
    }

    [Fact]
    public async Task A_bound_that_is_not_a_positive_finite_number_is_flagged_without_a_fix()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    model.call(x).sum().backward();
                    {|#0:nn.utils.clip_grad_norm_(model.parameters(), 0)|};
                    {|#1:nn.utils.clip_grad_value_(model.parameters(), double.PositiveInfinity)|};
                    {|#2:nn.utils.clip_grad_norm_(model.parameters(), max_norm: double.NaN)|};
                    optimizer.step();
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, source,
            Verify.Diagnostic(GG0004MisplacedClippingAnalyzer.UselessBound).WithLocation(0)
                .WithArguments("clip_grad_norm_", "0", "scales every gradient to zero (or flips its sign): no step will learn anything; use a positive bound such as 1.0"),
            Verify.Diagnostic(GG0004MisplacedClippingAnalyzer.UselessBound).WithLocation(1)
                .WithArguments("clip_grad_value_", "Infinity", "never clips anything: the call costs a norm computation and protects nothing"),
            Verify.Diagnostic(GG0004MisplacedClippingAnalyzer.UselessBound).WithLocation(2)
                .WithArguments("clip_grad_norm_", "NaN", "compares false with every norm, so nothing is ever clipped and NaN spreads into the gradients"));
    }

    [Fact]
    public async Task Clipping_between_backward_and_step_with_a_sound_or_computed_bound_is_fine()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, double bound)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        optimizer.zero_grad();
                        model.call(x).sum().backward();
                        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                        nn.utils.clip_grad_value_(model.parameters(), bound);
                        optimizer.step();
                    }
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }
}
