using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// The one way a check copies numbers from the device to the host. Each copy waits for the device to finish the work
/// queued before it — a host synchronization, the cost the monitor keeps to one per check in the steady state — so
/// every copy is counted here, where it happens.
/// </summary>
internal sealed class HostReader
{
    /// <summary>How many copies, i.e. host synchronizations, this reader has made.</summary>
    public int Synchronizations { get; private set; }

    /// <summary>Copies a float64 vector to the host.</summary>
    public double[] Read(Tensor vector)
    {
        Synchronizations++;
        return vector.cpu().data<double>().ToArray();
    }
}
