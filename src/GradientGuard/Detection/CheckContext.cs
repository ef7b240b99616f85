using System.Collections.Generic;
using GradientGuard.Measurement;

namespace GradientGuard.Detection;

/// <summary>Everything a detector may look at for one check.</summary>
internal sealed record CheckContext(long Step, GradientSnapshot Snapshot, IReadOnlyList<WatchedLayer> Watched, ModelTraits Traits, GradientMonitorOptions Options);
