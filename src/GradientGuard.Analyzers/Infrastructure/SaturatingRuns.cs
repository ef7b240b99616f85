using System.Collections.Generic;

namespace GradientGuard.Analyzers.Infrastructure;

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

    /// <summary>
    /// Whether a path with at most <paramref name="bound"/> weight layers and Sigmoid/Tanh activations (null: not known)
    /// can hold a run of <paramref name="activations"/>: that many activations, between two weight layers.
    /// </summary>
    public static bool MayHold((int Weights, int Saturating)? bound, int activations) =>
        bound is not { } most || most.Saturating >= activations && most.Weights >= 2;
}
