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

        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!seen.Add(parameter.Handle))
                continue;
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? LayerGradient.RootName : name[..dot];
            if (!parametersByOwner.TryGetValue(owner, out var list))
            {
                parametersByOwner[owner] = list = new List<Parameter>();
                owners.Add(owner);
            }
            list.Add(parameter);
        }

        if (strict && owners.Count == 0)
            throw new ArgumentException($"The model '{model.GetName()}' has no parameters, so it has no gradients to watch.", nameof(model));

        var unknown = filter.Where(f => !owners.Any(o => Matches(o, f))).ToList();
        if (strict && unknown.Count > 0)
            throw new ArgumentException(
                $"GradientMonitorOptions.Layers names no parameter-owning layer: {string.Join(", ", unknown.Select(u => $"'{u}'"))}. " +
                $"Layers with parameters: {string.Join(", ", owners.Select(o => $"'{o}'"))}.", nameof(filter));

        return owners
            .Where(o => filter.Count == 0 || filter.Any(f => Matches(o, f)))
            .Select(o => Describe(o, parametersByOwner[o]))
            .ToArray();
    }

    private static WatchedLayer Describe(string name, List<Parameter> parameters)
    {
        var matrix = parameters.FirstOrDefault(p => p.dim() >= 2);
        long fanIn = matrix is null ? 0 : matrix.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var shapes = parameters.Select(p => new TensorShape(p.numel(), p.dtype)).ToArray();
        return new WatchedLayer(name, parameters.ToArray(), fanIn, shapes.Sum(s => s.Count), shapes);
    }

    private static bool Matches(string layer, string filter) =>
        filter.EndsWith('.') ? layer.StartsWith(filter, StringComparison.Ordinal) : layer == filter;
}
