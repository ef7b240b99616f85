using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Measurement;

namespace GradientGuard.Detection;

/// <summary>What changed when the monitor rebuilt its model view.</summary>
/// <param name="ChangedLayers">Layers that are new, gone, or hold other parameter tensors than before (a layer replaced under the same name).</param>
/// <param name="Traits">The new view's traits.</param>
internal sealed record ViewRebuild(IReadOnlySet<string> ChangedLayers, ModelTraits Traits)
{
    /// <summary>
    /// Compares the layers of two views by name and by the identity of their parameter objects: TorchSharp's setters,
    /// <c>to()</c> and a replaced module all bring new <see cref="TorchSharp.Modules.Parameter"/> objects. Identity, not
    /// handles, because the old parameters may be disposed already.
    /// </summary>
    public static ViewRebuild Between(ModelView old, ModelView current)
    {
        var before = old.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in current.Layers)
        {
            if (!before.Remove(layer.Name, out var previous) || previous.Parameters.Length != layer.Parameters.Length
                || previous.Parameters.Where((p, i) => !ReferenceEquals(p, layer.Parameters[i])).Any())
                changed.Add(layer.Name);
        }
        changed.UnionWith(before.Keys); // removed layers
        return new ViewRebuild(changed, current.Traits);
    }
}
