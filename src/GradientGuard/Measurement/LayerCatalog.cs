using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>Groups a model's parameters by the module that owns them, in registration order (input side first).</summary>
internal static class LayerCatalog
{
    /// <summary>
    /// The watched layers. <paramref name="strict"/> (at attach) rejects a model without parameters and a filter entry
    /// that names no layer; a rebuild after the model changed watches whatever the filter still matches.
    /// </summary>
    public static IReadOnlyList<WatchedLayer> Build(nn.Module model, ICollection<string> filter, bool strict)
    {
        var seen = new HashSet<IntPtr>();
        var owners = new List<string>();
        var parametersByOwner = new Dictionary<string, List<Parameter>>(StringComparer.Ordinal);
        var parameterNames = new Dictionary<string, List<string>>(StringComparer.Ordinal);

        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!seen.Add(parameter.Handle))
                continue;
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? LayerGradient.RootName : name[..dot];
            if (!parametersByOwner.TryGetValue(owner, out var list))
            {
                parametersByOwner[owner] = list = new List<Parameter>();
                parameterNames[owner] = new List<string>();
                owners.Add(owner);
            }
            list.Add(parameter);
            parameterNames[owner].Add(dot < 0 ? name : name[(dot + 1)..]);
        }

        if (strict && owners.Count == 0)
            throw new ArgumentException($"The model '{model.GetName()}' has no parameters, so it has no gradients to watch.", nameof(model));

        var unknown = filter.Where(f => !owners.Any(o => Matches(o, f))).ToList();
        if (strict && unknown.Count > 0)
            throw new ArgumentException(
                $"GradientMonitorOptions.Layers names no parameter-owning layer: {string.Join(", ", unknown.Select(u => $"'{u}'"))}. " +
                $"Layers with parameters: {string.Join(", ", owners.Select(o => $"'{o}'"))}.", nameof(filter));

        var unitLayers = UnitLayerNames(model);
        var watched = new List<WatchedLayer>();
        int flat = 0;
        foreach (var owner in owners.Where(o => filter.Count == 0 || filter.Any(f => Matches(o, f))))
        {
            var layer = Describe(owner, parametersByOwner[owner], parameterNames[owner], unitLayers.Contains(owner)) with { FirstParameter = flat };
            flat += layer.Parameters.Length;
            watched.Add(layer);
        }
        return watched;
    }

    private static WatchedLayer Describe(string name, List<Parameter> parameters, List<string> names, bool unitLayer)
    {
        int matrix = parameters.FindIndex(p => p.dim() >= 2);
        long fanIn = matrix < 0 ? 0 : parameters[matrix].shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var shapes = parameters.Select(p => new TensorShape(p.numel(), p.dtype)).ToArray();
        var units = UnitParameters.None;
        if (unitLayer)
        {
            int weight = names.IndexOf("weight"), bias = names.IndexOf("bias");
            if (weight >= 0 && parameters[weight].dim() >= 2 && parameters[weight].shape[0] > 0)
                units = new UnitParameters(weight, bias >= 0 && parameters[bias].dim() == 1 ? bias : -1, parameters[weight].shape[0]);
        }
        return new WatchedLayer(name, parameters.ToArray(), fanIn, shapes.Sum(s => s.Count), shapes) { Units = units, MatrixParameter = matrix };
    }

    /// <summary>
    /// The modules whose weight rows are output units that an activation follows: Linear and Conv1d/2d/3d. Not Embedding
    /// (its gradient rows are zero for every token the batch lacks), not recurrent layers (their rows are gates), not
    /// transposed convolutions (their first dimension is the input channel), and not custom modules, whose weight layout
    /// is their own.
    /// </summary>
    private static HashSet<string> UnitLayerNames(nn.Module model)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, module) in model.named_modules())
        {
            if (module is Linear or Conv1d or Conv2d or Conv3d)
                names.Add(name.Length == 0 ? LayerGradient.RootName : name);
        }
        return names;
    }

    private static bool Matches(string layer, string filter) =>
        filter.EndsWith('.') ? layer.StartsWith(filter, StringComparison.Ordinal) : layer == filter;
}
