using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// C# 12 collection expressions (<c>[a, b, c]</c>). The analyzers build against Roslyn 4.8, whose API has the syntax but
/// not <c>ICollectionExpressionOperation</c>; under any compiler the operation's children are its elements, so it is
/// read by its syntax and its children.
/// </summary>
internal static class CollectionExpressions
{
    /// <summary>The elements in order, or null when one is a spread (<c>..others</c>), whose contents are not known here.</summary>
    public static IReadOnlyList<IOperation>? Elements(IOperation collection)
    {
        if (collection.Syntax is not CollectionExpressionSyntax syntax || syntax.Elements.Any(e => e is not ExpressionElementSyntax))
            return null;
        var elements = collection.ChildOperations.ToList();
        return elements.Count == syntax.Elements.Count ? elements : null;
    }
}
