using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>
/// Code that fixes write with fully qualified <c>global::TorchSharp...</c> names: every such name is marked for the
/// simplifier, which shortens it to the file's own import style (<c>nn.ReLU</c>, <c>torch.nn.ReLU</c>, <c>ReLU</c>),
/// so no using directive is ever added. Each name is marked on its own: a mark on an enclosing call does not reach it.
/// </summary>
internal static class GeneratedCode
{
    public static ExpressionSyntax Expression(string code) => Simplified(SyntaxFactory.ParseExpression(code));

    public static StatementSyntax Statement(string code) => Simplified(SyntaxFactory.ParseStatement(code));

    public static TypeSyntax Type(string code) => Simplified(SyntaxFactory.ParseTypeName(code));

    private static T Simplified<T>(T node)
        where T : SyntaxNode
    {
        var qualified = node.DescendantNodesAndSelf()
            .Where(n => n is MemberAccessExpressionSyntax or QualifiedNameSyntax or AliasQualifiedNameSyntax &&
                        n.ToString().StartsWith("global::", StringComparison.Ordinal) &&
                        n.Parent is not (MemberAccessExpressionSyntax or QualifiedNameSyntax))
            .ToList();
        return node.ReplaceNodes(qualified, (_, rewritten) => rewritten.WithAdditionalAnnotations(Simplifier.Annotation));
    }
}
