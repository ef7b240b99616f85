using System.Collections.Generic;
using System.Linq;
using GradientGuard.Measurement;

namespace GradientGuard.Detection;

/// <summary>Everything a detector may look at for one check.</summary>
/// <param name="Step">The step being checked.</param>
/// <param name="Snapshot">What this check measured.</param>
/// <param name="Watched">The watched layers, input side first.</param>
/// <param name="Traits">What the model is built from.</param>
/// <param name="Options">The monitor's options.</param>
/// <param name="History">The diagnostics of earlier checks, oldest first.</param>
/// <param name="RaisedThisCheck">The diagnostics the detectors before this one raised at this check.</param>
/// <param name="WeightNorms">Each watched parameter's latest weight norm (exact at the first check), by flat index.</param>
internal sealed record CheckContext(long Step, GradientSnapshot Snapshot, IReadOnlyList<WatchedLayer> Watched, ModelTraits Traits, GradientMonitorOptions Options,
    IReadOnlyList<GradientDiagnostic> History, IReadOnlyList<GradientDiagnostic> RaisedThisCheck, WeightNormCache WeightNorms)
{
    /// <summary>The layer's <see cref="WatchedLayer.InitScale"/> from its matrix's latest norm; NaN when it has no matrix.</summary>
    public double InitScale(WatchedLayer layer) =>
        layer.MatrixParameter < 0 ? double.NaN : layer.InitScale(WeightNorms[layer.FirstParameter + layer.MatrixParameter]);

    /// <summary>
    /// The diagnostics of <paramref name="kind"/> raised so far, this check's included: detectors whose findings can
    /// share a cause read them so that one problem gets one report (poor initialization before vanishing).
    /// </summary>
    public IEnumerable<GradientDiagnostic> Raised(GradientIssueKind kind) => History.Concat(RaisedThisCheck).Where(d => d.Kind == kind);
}
