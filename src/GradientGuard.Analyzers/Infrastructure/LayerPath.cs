using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>What one element of a model's forward path is, as far as gradient flow goes.</summary>
internal enum LayerKind
{
    /// <summary>Linear, convolution, Bilinear: multiplies the gradient by a weight matrix.</summary>
    Weight,

    /// <summary>Sigmoid or Tanh: passes on at most 0.25x / 1x of the gradient.</summary>
    Saturating,

    /// <summary>ReLU-family: passes the gradient on unchanged where active; wants He (Kaiming) initialization.</summary>
    Rectifier,

    /// <summary>BatchNorm, LayerNorm and the like: rescales activations and so breaks a vanishing chain.</summary>
    Normalization,

    /// <summary>A TorchSharp module that neither multiplies nor squashes (Dropout, Flatten, pooling).</summary>
    Neutral,

    /// <summary>Anything the analysis cannot see into (a user module, a residual addition): breaks a chain.</summary>
    Opaque,
}

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

/// <summary>Finds runs of hidden saturating activations along a path: each needs a weight layer before and after it.</summary>
internal static class SaturatingRuns
{
    /// <summary>
    /// The longest run of Sigmoid/Tanh activations that sit between weight layers with no normalization or opaque
    /// element in the run. A final activation after the last weight layer is an output activation and does not count.
    /// </summary>
    public static IReadOnlyList<LayerElement> Longest(IEnumerable<LayerElement> path)
    {
        var best = new List<LayerElement>();
        var chain = new List<LayerElement>();
        var pending = new List<LayerElement>();
        bool sawWeight = false;
        foreach (var element in path)
        {
            switch (element.Kind)
            {
                case LayerKind.Weight:
                    chain.AddRange(pending);
                    pending.Clear();
                    sawWeight = true;
                    break;
                case LayerKind.Saturating:
                    if (sawWeight)
                        pending.Add(element);
                    break;
                case LayerKind.Normalization:
                case LayerKind.Opaque:
                    if (chain.Count > best.Count)
                        best = new List<LayerElement>(chain);
                    chain.Clear();
                    pending.Clear();
                    sawWeight = element.Kind == LayerKind.Normalization && sawWeight;
                    break;
            }
        }
        return chain.Count > best.Count ? chain : best;
    }
}
