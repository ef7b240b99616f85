using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Which code a rule that reads a type at its end (a symbol-start action on the type, see <see cref="DeclaredBodies"/>)
/// owns: the members declared directly in the type. A nested type's members are its own type's (the driver may hand them
/// to the enclosing type's actions too), and top-level statements are read at the end of their own block, as their
/// synthesized type need not get a symbol start of its own.
/// </summary>
internal static class TypeEnd
{
    /// <summary>Whether code owned by <paramref name="owner"/> (a member, or a function in one) belongs to the top-level statements.</summary>
    public static bool IsTopLevel(ISymbol owner)
    {
        var member = owner;
        while (member is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } && member.ContainingSymbol is { } container)
            member = container;
        return member is IMethodSymbol { Name: WellKnownMemberNames.TopLevelStatementsEntryPointMethodName };
    }

    /// <summary>Whether code owned by <paramref name="owner"/> is read at the end of <paramref name="type"/>.</summary>
    public static bool Owns(INamedTypeSymbol type, ISymbol owner) =>
        SymbolEqualityComparer.Default.Equals(owner.ContainingType, type) && !IsTopLevel(owner);
}
