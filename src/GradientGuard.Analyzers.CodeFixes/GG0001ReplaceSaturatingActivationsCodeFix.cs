using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>
/// GG0001: replaces the hidden Sigmoid/Tanh activations of the flagged path with ReLU (second action: LeakyReLU, third:
/// GELU), in the form each is written: module factory, <c>nn.functional</c>, <c>torch.</c>, tensor method, and the type of a
/// field that holds one. Mostly only a name changes, so the prefix the user wrote, the layer names, the output activation
/// and the formatting stay as they are.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0001ReplaceSaturatingActivationsCodeFix)), Shared]
public sealed class GG0001ReplaceSaturatingActivationsCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0001ReplaceSaturatingActivationsCodeFix()
        : base(RuleIds.SaturatingActivationStack)
    {
    }

    /// <summary>Equivalence key: replace with ReLU.</summary>
    public const string ReLUKey = "GG0001.ReLU";

    /// <summary>Equivalence key: replace with LeakyReLU.</summary>
    public const string LeakyReLUKey = "GG0001.LeakyReLU";

    /// <summary>Equivalence key: replace with GELU.</summary>
    public const string GELUKey = "GG0001.GELU";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.AdditionalLocations.Count == 0)
            yield break; // nothing written where the fix could replace it
        foreach (var (name, key) in new[] { ("ReLU", ReLUKey), ("LeakyReLU", LeakyReLUKey), ("GELU", GELUKey) })
            yield return CodeAction.Create($"Use {name} for the hidden activations", c => ReplaceAsync(document, diagnostic, name, c), key);
    }

    private static async Task<Document> ReplaceAsync(Document document, Diagnostic diagnostic, string activation, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
        if (root is null || model is null)
            return document;
        var nodes = diagnostic.AdditionalLocations
            .Select(l => root.FindNode(l.SourceSpan, getInnermostNodeForTie: true))
            .Select(n => (SyntaxNode?)(n as TypeSyntax) ?? n.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault())
            .Where(n => n is not null)
            .Cast<SyntaxNode>()
            .ToList();
        var forms = nodes.ToDictionary(n => n, n => n is InvocationExpressionSyntax call ? (model.GetSymbolInfo(call, cancellation).Symbol as IMethodSymbol)?.ContainingType?.Name : null);
        return document.WithSyntaxRoot(root.ReplaceNodes(nodes, (original, _) => original switch
        {
            TypeSyntax type => NameRewriter.WithLastName(type, activation),
            InvocationExpressionSyntax call => Replace(call, forms[original], activation),
            _ => original,
        }));
    }

    // One activation, spelled as each TorchSharp form spells it.
    private static InvocationExpressionSyntax Replace(InvocationExpressionSyntax call, string? form, string activation)
    {
        string functional = activation switch { "ReLU" => "relu", "LeakyReLU" => "leaky_relu", _ => "gelu" };
        switch (form)
        {
            case "nn": // nn.Sigmoid(): the module factory
                return Rename(call, activation, slopeFirst: activation == "LeakyReLU", flagIndex: 0);
            case "functional": // nn.functional.sigmoid(x)
                return Rename(call, functional, slopeFirst: activation == "LeakyReLU", flagIndex: 1);
            case "torch": // torch.sigmoid(x): torch has no relu, the functional one it is
                var callee = SyntaxFactory.ParseExpression("global::TorchSharp.torch.nn.functional." + functional)
                    .WithTriviaFrom(call.Expression)
                    .WithAdditionalAnnotations(Simplifier.Annotation);
                return call.WithExpression(callee);
            case "Tensor": // x.sigmoid(): the tensor method; leaky_relu takes its slope
                var renamed = Rename(call, functional, slopeFirst: false, flagIndex: -1);
                return activation == "LeakyReLU" && renamed.ArgumentList.Arguments.Count == 0
                    ? renamed.WithArgumentList(SyntaxFactory.ParseArgumentList("(0.01)"))
                    : renamed;
            default:
                return call;
        }
    }

    private static InvocationExpressionSyntax Rename(InvocationExpressionSyntax call, string name, bool slopeFirst, int flagIndex)
    {
        var callee = NameRewriter.WithLastName(call.Expression, name);
        var arguments = call.ArgumentList;
        // LeakyReLU's next parameter is the slope: a positional inplace flag must be named to keep its meaning.
        if (slopeFirst && flagIndex >= 0 && arguments.Arguments.Count == flagIndex + 1 && arguments.Arguments[flagIndex].NameColon is null)
        {
            var flag = arguments.Arguments[flagIndex];
            arguments = arguments.ReplaceNode(flag, flag.WithNameColon(SyntaxFactory.NameColon("inplace")));
        }
        return call.WithExpression(callee).WithArgumentList(arguments);
    }
}
