using System;
using System.Collections.Generic;

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
}
