using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The methods an operation tree calls without their name in the code: a collection initializer's <c>Add</c>, a query
/// expression's operators, an interpolated string handler's appends. A text gate that lets a body through when it
/// writes a helper's name must also let it through when the helper bears one of these names (the other calls the
/// compiler makes for a construct, <c>GetEnumerator</c>, <c>Dispose</c>, <c>Deconstruct</c>, <c>GetAwaiter</c>, are no
/// invocations of the operation tree).
/// </summary>
internal static class ImplicitCalls
{
    /// <summary>The names, compared ordinally.</summary>
    public static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "Add",
        "Select", "SelectMany", "Where", "Join", "GroupJoin", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Cast",
        "AppendLiteral", "AppendFormatted",
    };

    /// <summary>
    /// Whether the code of <paramref name="span"/> (a span of a node of the code, as for
    /// <see cref="TreeText.ContainsCodeName(SyntaxTree, TextSpan, string)"/>) may call a method named one of
    /// <paramref name="names"/>: its name written as an identifier (which every call form writes, <c>x?.Run()</c> and
    /// <c>global::Run()</c> too), or any of them when one bears a name the compiler calls without it.
    /// </summary>
    public static bool MayCallAny(SyntaxTree tree, TextSpan span, HashSet<string> names) =>
        names.Overlaps(Names) || names.Any(name => TreeText.ContainsCodeName(tree, span, name));
}
