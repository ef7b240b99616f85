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

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>
/// GG0006: inserts a normalization layer after each hidden Linear/Conv2d of the Sequential — BatchNorm1d(out_features) /
/// BatchNorm2d(out_channels), or (second action, Linear only) LayerNorm(out_features) — spelled with the same prefix as
/// the layer it follows, and named "&lt;name&gt;_norm" in the ("name", module) form.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0006AddNormalizationCodeFix)), Shared]
public sealed class GG0006AddNormalizationCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0006AddNormalizationCodeFix()
        : base(RuleIds.DeepWithoutNormalization)
    {
    }

    /// <summary>Equivalence key: BatchNorm.</summary>
    public const string BatchNormKey = "GG0006.BatchNorm";

    /// <summary>Equivalence key: LayerNorm.</summary>
    public const string LayerNormKey = "GG0006.LayerNorm";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        var layers = diagnostic.AdditionalLocations.Select(l => root.FindNode(l.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault()).ToList();
        if (layers.Count == 0 || layers.Any(l => l is null))
            yield break;
        yield return CodeAction.Create("Add BatchNorm after each hidden layer", c => Task.FromResult(Insert(document, root, diagnostic, layerNorm: false)), BatchNormKey);
        if (layers.All(l => l!.CalledName() == "Linear"))
            yield return CodeAction.Create("Add LayerNorm after each hidden Linear", c => Task.FromResult(Insert(document, root, diagnostic, layerNorm: true)), LayerNormKey);
    }

    private static Document Insert(Document document, SyntaxNode root, Diagnostic diagnostic, bool layerNorm)
    {
        var list = root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf()
            .Select(n => n switch { InvocationExpressionSyntax i => i.ArgumentList, ConstructorInitializerSyntax c => c.ArgumentList, _ => null })
            .FirstOrDefault(l => l is not null);
        if (list is null)
            return document;

        // Positions in the original list, filled from the back so that earlier positions stay valid.
        var insertions = diagnostic.AdditionalLocations
            .Select(l => root.FindNode(l.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().First())
            .Select(layer => (Layer: layer, Argument: layer.Ancestors().OfType<ArgumentSyntax>().First(a => a.Parent == list)))
            .Select(x => (x.Layer, x.Argument, Index: list.Arguments.IndexOf(x.Argument)))
            .OrderByDescending(x => x.Index);
        var arguments = list.Arguments;
        foreach (var (layer, argument, index) in insertions)
            arguments = arguments.Insert(index + 1, SyntaxFactory.Argument(NormalizationFor(argument, layer, layerNorm)).WithLeadingTrivia(SyntaxFactory.Space));
        return document.WithSyntaxRoot(root.ReplaceNode(list, list.WithArguments(arguments)));
    }

    // nn.Linear(in, out) -> nn.BatchNorm1d(out), in the ("name", ...) form when the layer has one.
    private static ExpressionSyntax NormalizationFor(ArgumentSyntax argument, InvocationExpressionSyntax layer, bool layerNorm)
    {
        string normalization = layerNorm ? "LayerNorm" : layer.CalledName() == "Conv2d" ? "BatchNorm2d" : "BatchNorm1d";
        var width = layer.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText is "outputSize" or "out_channels")
                    ?? layer.ArgumentList.Arguments[1];
        ExpressionSyntax callee = layer.Expression switch
        {
            MemberAccessExpressionSyntax member => member.WithName(SyntaxFactory.IdentifierName(normalization)),
            _ => SyntaxFactory.IdentifierName(normalization),
        };
        var module = SyntaxFactory.InvocationExpression(callee, SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(width.Expression.WithoutTrivia()))));
        if (argument.Expression is not TupleExpressionSyntax { Arguments.Count: 2 } tuple)
            return module;
        var name = tuple.Arguments[0].Expression is LiteralExpressionSyntax { Token.Value: string text }
            ? SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(text + "_norm"))
            : (ExpressionSyntax)SyntaxFactory.BinaryExpression(SyntaxKind.AddExpression, tuple.Arguments[0].Expression.WithoutTrivia(), SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("_norm")));
        return SyntaxFactory.TupleExpression(SyntaxFactory.SeparatedList(new[] { SyntaxFactory.Argument(name), SyntaxFactory.Argument(module) }));
    }
}
