using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Probing;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Detection;

/// <summary>What a model is built from, as far as the likely causes of gradient trouble go; read once at attach.</summary>
internal sealed class ModelTraits
{
    private readonly Dictionary<string, string> precedingLayer;
    private readonly HashSet<string> hiddenActivations;

    private ModelTraits(IReadOnlyList<string> saturatingActivations, IReadOnlyList<string> plainRnns, bool hasNormalization, Dictionary<string, string> precedingLayer,
        IReadOnlyDictionary<string, DenseLayer> denseLayers, HashSet<string> hiddenActivations)
    {
        SaturatingActivations = saturatingActivations;
        PlainRnns = plainRnns;
        HasNormalization = hasNormalization;
        this.precedingLayer = precedingLayer;
        DenseLayers = denseLayers;
        this.hiddenActivations = hiddenActivations;
    }

    /// <summary>Sigmoid and Tanh modules, in registration order.</summary>
    public IReadOnlyList<string> SaturatingActivations { get; }

    /// <summary>Plain (Elman) RNN modules, whose gradients vanish or explode through time.</summary>
    public IReadOnlyList<string> PlainRnns { get; }

    /// <summary>Whether any BatchNorm, LayerNorm, GroupNorm or InstanceNorm module is present.</summary>
    public bool HasNormalization { get; }

    /// <summary>The Linear and Conv layers, by name: the layers whose weight spread has a suited value.</summary>
    public IReadOnlyDictionary<string, DenseLayer> DenseLayers { get; }

    /// <summary>A Linear/Conv layer's shape and the activation module that follows it, as far as registration order tells.</summary>
    /// <param name="FanIn">Inputs per output unit (in_features, or in_channels/groups times the kernel size).</param>
    /// <param name="FanOut">Outputs per input unit (out_features, or out_channels times the kernel size).</param>
    /// <param name="ActivationAfter">
    /// The activation module registered next after the layer, past normalization, dropout, pooling and reshaping
    /// modules; null when another layer comes first, as in models that call functional <c>relu</c> in forward(), whose
    /// activation a module walk cannot see.
    /// </param>
    /// <param name="IsLast">Whether it is the last Linear/Conv layer registered: the output layer, whose scale is often small on purpose (zero- or 0.01-initialized heads).</param>
    /// <param name="NormalizedAfter">
    /// Whether a normalization module (BatchNorm, LayerNorm, GroupNorm, InstanceNorm) is registered right after it, before
    /// any activation or other layer: it rescales the layer's output, so the layer's weight scale does not reach the signal.
    /// </param>
    internal sealed record DenseLayer(long FanIn, long FanOut, ActivationKind? ActivationAfter, bool IsLast, bool NormalizedAfter = false);

    public static ModelTraits Read(nn.Module model)
    {
        var saturating = new List<string>();
        var rnns = new List<string>();
        bool normalization = false;
        var preceding = new Dictionary<string, string>(StringComparer.Ordinal);
        string? lastWeighted = null;
        var dense = new List<(string Name, long FanIn, long FanOut)>();
        var activationAfter = new Dictionary<string, ActivationKind>(StringComparer.Ordinal);
        string? awaitingActivation = null;
        string? awaitingNormalization = null;
        var normalizedAfter = new HashSet<string>(StringComparer.Ordinal);
        var activations = new List<(string Name, int Position)>();
        int lastWeightedPosition = -1, position = 0;

        foreach (var (name, module) in model.named_modules())
        {
            position++;
            var kind = ActivationKinds.Of(module);
            if (kind?.IsSaturating() == true)
                saturating.Add(name);
            else if (module is RNN)
                rnns.Add(name);
            else if (IsNormalization(module))
                normalization = true;

            if (lastWeighted is not null)
                preceding[name] = lastWeighted;
            bool ownsParameters = name.Length > 0 && module.named_parameters(recurse: false).Any();
            if (ownsParameters)
            {
                lastWeighted = name;
                lastWeightedPosition = position;
            }

            if (IsNormalization(module) && awaitingNormalization is not null)
                normalizedAfter.Add(awaitingNormalization);
            if (kind is not null || (ownsParameters && !IsNormalization(module)))
                awaitingNormalization = null;

            if (kind is { } k)
            {
                activations.Add((name, position));
                if (awaitingActivation is not null)
                    activationAfter[awaitingActivation] = k;
                awaitingActivation = null;
            }
            else if (DenseShape(module) is { } shape)
            {
                dense.Add((name, shape.FanIn, shape.FanOut));
                awaitingActivation = name;
                awaitingNormalization = name;
            }
            else if (ownsParameters && !IsNormalization(module))
            {
                awaitingActivation = null; // another kind of layer (embedding, RNN, ...) comes between
            }
        }

        var denseLayers = new Dictionary<string, DenseLayer>(StringComparer.Ordinal);
        for (int i = 0; i < dense.Count; i++)
        {
            var (name, fanIn, fanOut) = dense[i];
            denseLayers[name] = new DenseLayer(fanIn, fanOut, activationAfter.TryGetValue(name, out var after) ? after : null, IsLast: i == dense.Count - 1,
                NormalizedAfter: normalizedAfter.Contains(name));
        }
        // An activation with a parameter-owning layer registered after it is hidden; one without feeds the output (a
        // Sigmoid before BCELoss), where saturation is the confident prediction the loss asks for.
        var hidden = new HashSet<string>(activations.Where(a => a.Position < lastWeightedPosition).Select(a => a.Name), StringComparer.Ordinal);
        return new ModelTraits(saturating, rnns, normalization, preceding, denseLayers, hidden);
    }

    /// <summary>The parameter-owning layer registered just before <paramref name="module"/>, if any.</summary>
    public string? LayerBefore(string module) => precedingLayer.GetValueOrDefault(module);

    /// <summary>Whether the activation module <paramref name="activation"/> has a parameter-owning layer registered after it (it is not the output activation).</summary>
    public bool IsHidden(string activation) => hiddenActivations.Contains(activation);

    private static bool IsNormalization(nn.Module module) =>
        module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;

    // Linear and ConvNd weights are [out, in/groups, kernel...]: fan-in is in/groups times the kernel, fan-out out times the kernel.
    private static (long FanIn, long FanOut)? DenseShape(nn.Module module)
    {
        if (module is not (Linear or Conv1d or Conv2d or Conv3d))
            return null;
        var weight = module.named_parameters(recurse: false).FirstOrDefault(p => p.name == "weight").parameter;
        if (weight is null || weight.dim() < 2)
            return null;
        var shape = weight.shape;
        long kernel = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        return (shape[1] * kernel, shape[0] * kernel);
    }
}
