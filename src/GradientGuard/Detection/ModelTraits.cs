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

    private ModelTraits(IReadOnlyList<string> saturatingActivations, IReadOnlyList<string> plainRnns, bool hasNormalization, Dictionary<string, string> precedingLayer)
    {
        SaturatingActivations = saturatingActivations;
        PlainRnns = plainRnns;
        HasNormalization = hasNormalization;
        this.precedingLayer = precedingLayer;
    }

    /// <summary>Sigmoid and Tanh modules, in registration order.</summary>
    public IReadOnlyList<string> SaturatingActivations { get; }

    /// <summary>Plain (Elman) RNN modules, whose gradients vanish or explode through time.</summary>
    public IReadOnlyList<string> PlainRnns { get; }

    /// <summary>Whether any BatchNorm, LayerNorm, GroupNorm or InstanceNorm module is present.</summary>
    public bool HasNormalization { get; }

    public static ModelTraits Read(nn.Module model)
    {
        var saturating = new List<string>();
        var rnns = new List<string>();
        bool normalization = false;
        var preceding = new Dictionary<string, string>(StringComparer.Ordinal);
        string? lastWeighted = null;

        foreach (var (name, module) in model.named_modules())
        {
            if (ActivationKinds.Of(module)?.IsSaturating() == true)
                saturating.Add(name);
            else if (module is RNN)
                rnns.Add(name);
            else if (module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d)
                normalization = true;

            if (lastWeighted is not null)
                preceding[name] = lastWeighted;
            if (name.Length > 0 && module.named_parameters(recurse: false).Any())
                lastWeighted = name;
        }
        return new ModelTraits(saturating, rnns, normalization, preceding);
    }

    /// <summary>The parameter-owning layer registered just before <paramref name="module"/>, if any.</summary>
    public string? LayerBefore(string module) => precedingLayer.GetValueOrDefault(module);
}
