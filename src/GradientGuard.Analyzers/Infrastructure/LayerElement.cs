using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>One element of a path, with the syntax that creates or applies it (where a diagnostic or a fix points).</summary>
internal readonly struct LayerElement
{
    public LayerElement(LayerKind kind, SyntaxNode syntax, SyntaxNode? declaredType = null, ISymbol? holder = null)
    {
        Kind = kind;
        Syntax = syntax;
        DeclaredType = declaredType;
        Holder = holder;
    }

    /// <summary>The local, field or property that holds the layer, when it is held in one (where its init calls refer to it).</summary>
    public ISymbol? Holder { get; }

    /// <summary>The same element, known to be held in <paramref name="holder"/>.</summary>
    public LayerElement HeldIn(ISymbol holder) => new(Kind, Syntax, DeclaredType, holder);

    public LayerKind Kind { get; }

    /// <summary>The factory call, functional call or member that creates or applies it.</summary>
    public SyntaxNode Syntax { get; }

    /// <summary>For a field or property typed as the activation itself (<c>Sigmoid act</c>): that type, which a fix must change too.</summary>
    public SyntaxNode? DeclaredType { get; }
}
