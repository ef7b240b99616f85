using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The shared operation walk (OperationIndex) lists a body's operations in the order <c>IOperation.Descendants()</c>
/// gives, however deep the tree: its working space starts small and grows.
/// </summary>
public sealed class OperationIndexTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(500)]
    public async Task Lists_every_operation_and_every_call_in_the_order_of_Descendants_at_any_depth(int terms)
    {
        // A chain of additions nests to the left: a tree as deep as the chain is long, each term a call (500 outgrow the
        // walk's first stack, list and call list).
        string chain = string.Join(" + ", Enumerable.Repeat("Term(x)", terms));
        string source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            class Trainer
            {
                void Train(nn.Module<Tensor, Tensor> model, Tensor loss, int x)
                {
                    var opt = optim.Adam(model.parameters());
                    var sum = {{chain}};
                    loss.backward();
                    opt.step();
                }

                static int Term(int x) => x;
            }
            """;
        var (_, model) = await AllRules.On(source);
        var method = model.SyntaxTree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "Train");
        var body = model.GetOperation(method)!;

        Assert.Equal(body.Descendants(), OperationIndex.Descendants(body));
        Assert.Equal(body.Descendants().OfType<IInvocationOperation>(), OperationIndex.Invocations(body));
        Assert.Equal(4 + terms, OperationIndex.Invocations(body).Count); // Adam, parameters, backward, step and the terms
    }
}
