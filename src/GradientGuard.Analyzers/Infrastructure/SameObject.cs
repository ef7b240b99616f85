using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Equality by reference, for a set of objects whose own equality is by value or costly (netstandard2.0 has no
/// <c>ReferenceEqualityComparer</c>).
/// </summary>
internal sealed class SameObject : IEqualityComparer<object>
{
    /// <summary>The one instance.</summary>
    public static readonly SameObject Comparer = new();

    private SameObject()
    {
    }

    /// <inheritdoc />
    public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);

    /// <inheritdoc />
    public int GetHashCode(object obj) => RuntimeHelpers.GetHashCode(obj);
}
