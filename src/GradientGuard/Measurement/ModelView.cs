using System.Collections.Generic;
using System.Linq;
using GradientGuard.Detection;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// The monitor's view of a model's parameters: the watched layers, the model's traits, and the per-parameter memories
/// (weight norms, proven zeros), which are indexed by the layers' flat parameter order and so belong to one view.
/// Built whole, so the monitor swaps it in only once it exists. Its device state (the dead-unit masks, the kept weight
/// copies) belongs to its layers too: the monitor disposes it when it swaps in a view with other layers, and at the end.
/// </summary>
internal sealed record ModelView(IReadOnlyList<WatchedLayer> Layers, ModelTraits Traits, WeightNormCache WeightNorms, ProvenZeros ProvenZeros,
    UnitActivity Units, WeightUpdates Updates)
{
    /// <summary>
    /// The view of <paramref name="model"/> as it is now. <paramref name="strict"/> (at attach) rejects a model without
    /// parameters and a filter entry that names no layer (see <see cref="LayerCatalog.Build"/>).
    /// </summary>
    public static ModelView Build(nn.Module model, GradientMonitorOptions options, bool strict)
    {
        var layers = LayerCatalog.Build(model, options.Layers, strict);
        int parameters = layers.Sum(l => l.Parameters.Length);
        return new ModelView(layers, ModelTraits.Read(model), new WeightNormCache(parameters, options.WeightNormEvery), new ProvenZeros(parameters),
            new UnitActivity(layers, options.DeadUnitsEvery, options.DeadUnitsWindow), new WeightUpdates(layers));
    }

    /// <summary>Frees the device state of this view's layers.</summary>
    public void DisposeDeviceState()
    {
        Units.Dispose();
        Updates.Dispose();
    }
}
