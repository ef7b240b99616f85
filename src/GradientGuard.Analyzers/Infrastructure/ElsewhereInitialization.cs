using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Signs that a model's weights are set by code the path analysis does not follow: <c>apply(fn)</c> callbacks, loops
/// over <c>parameters()</c>/<c>named_parameters()</c> that call init functions, <c>.weight</c> assignments, and
/// <c>load</c>/<c>load_state_dict</c> of saved weights. Then a "default init" warning would be a false alarm.
/// </summary>
internal static class ElsewhereInitialization
{
    /// <summary>Within one body (a method, or a class's members).</summary>
    public static bool In(IOperation root) => OperationIndex.Descendants(root).Prepend(root).Any(o => o switch
    {
        IInvocationOperation { TargetMethod.Name: "apply" or "load" or "load_state_dict" or "load_checkpoint" } => true,
        ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "weight" } } => true,
        IForEachLoopOperation loop => IsParameterInitLoop(loop.Collection.Syntax, loop.Body.Syntax),
        _ => false,
    });

    /// <summary>
    /// Anywhere in the compilation, by syntax (no semantic model of other files is built): a loop over parameters that
    /// calls init-style functions, or an apply callback. Asked once per compilation, and only when a rule needs it; each
    /// tree is searched once for every compilation that holds it.
    /// </summary>
    public static bool Anywhere(Compilation compilation, CancellationToken cancellation) =>
        compilation.SyntaxTrees.Any(tree => PerTree.GetValue(tree, t => new StrongBox<bool>(InTree(t, cancellation))).Value);

    // Each tree's answer, for every compilation that holds it: an editor's next compilation holds every tree but the one
    // being typed in. (A cancelled search throws before its answer is kept.)
    private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<bool>> PerTree = new();

    // A text search finds the few places that mention parameters( or apply(; only their enclosing syntax is looked at,
    // instead of walking every node of every file.
    private static bool InTree(SyntaxTree tree, CancellationToken cancellation)
    {
        string text = TreeText.Of(tree);
        SyntaxNode? root = null;
        foreach (string mention in new[] { "parameters(", "apply(" })
        {
            for (int at = text.IndexOf(mention, StringComparison.Ordinal); at >= 0; at = text.IndexOf(mention, at + 1, StringComparison.Ordinal))
            {
                root ??= tree.GetRoot(cancellation);
                if (root.FindToken(at).Parent?.AncestorsAndSelf().Any(SetsWeights) == true)
                    return true;
            }
        }
        return false;
    }

    private static bool SetsWeights(SyntaxNode node) => node switch
    {
        ForEachStatementSyntax loop => IsParameterInitLoop(loop.Expression, loop.Statement),
        ForEachVariableStatementSyntax loop => IsParameterInitLoop(loop.Expression, loop.Statement),
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "apply" } } call =>
            call.ArgumentList.Arguments.Count == 1,
        _ => false,
    };

    private static bool IsParameterInitLoop(SyntaxNode collection, SyntaxNode body) =>
        collection.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(i => i.CalledName() is "parameters" or "named_parameters") &&
        body.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(i => i.CalledName() is { } n && n.EndsWith("_", StringComparison.Ordinal) && n != "requires_grad_");
}
