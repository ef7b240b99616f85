using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// Which output units of each Linear/convolution layer have shown any sign of life over a window of sampled checks,
/// measured from the gradients alone. A ReLU unit that outputs zero for every input of the batch passes no gradient to
/// its weight row or its bias, so its gradient row is exactly zero; a unit alive for even one input has a non-zero row
/// (or a NaN one: NaN is not zero, so a NaN row counts as alive). Each layer keeps an "ever alive" mask on the device,
/// OR-ed at every sampled check without a synchronization; its count of never-alive units is one more number in the
/// check's single host copy. A window closes after <see cref="GradientMonitorOptions.DeadUnitsWindow"/> samples in
/// which the layer's gradient was not entirely zero (a layer whose whole gradient is zero was unused that step, which
/// says nothing about its units); its mask is then cleared on the device.
/// The last unit layer (the output layer, in registration order) is left out: no activation follows it, so an all-zero
/// row there means an output the loss ignores, not a dead unit. Owned by one <see cref="ModelView"/>'s layers: the
/// monitor disposes it with the view.
/// </summary>
internal sealed class UnitActivity : IDisposable
{
    private readonly IReadOnlyList<WatchedLayer> layers;
    private readonly Tensor?[] everAlive;
    private readonly int[] samplesInWindow;
    private readonly bool[] judged;
    private readonly int every;
    private readonly int window;
    private long checks;

    public UnitActivity(IReadOnlyList<WatchedLayer> layers, int every, int window)
    {
        this.layers = layers;
        this.every = every;
        this.window = window;
        everAlive = new Tensor?[layers.Count];
        samplesInWindow = new int[layers.Count];
        judged = new bool[layers.Count];
        int last = -1;
        for (int l = 0; l < layers.Count; l++)
        {
            if (layers[l].Units.Exist)
                last = l;
        }
        for (int l = 0; l < layers.Count; l++)
            judged[l] = layers[l].Units.Exist && l != last;
    }

    /// <summary>
    /// At a sampled check, ORs this check's live rows into each judged layer's mask and returns the layers read and
    /// their counts of units never alive in the window so far (float64, on <paramref name="device"/>); null at other
    /// checks or when no judged layer has a gradient. Call inside the check's dispose scope: only the masks outlive it.
    /// </summary>
    public (int[] Layers, Tensor NeverAlive)? Gather(Device device)
    {
        if (checks++ % every != 0)
            return null;
        var read = new List<int>();
        var counts = new List<Tensor>();
        for (int l = 0; l < layers.Count; l++)
        {
            if (!judged[l])
                continue;
            var (weight, bias, units) = layers[l].Units;
            var weightGradient = layers[l].Parameters[weight].grad;
            if (weightGradient is null)
                continue; // frozen: no gradient, no judgement
            // The max-abs of each row: exact in every dtype (no squares to underflow), NaN for a row holding NaN.
            var alive = linalg.vector_norm(weightGradient.reshape(units, -1), double.PositiveInfinity, new long[] { 1 }).ne(0);
            if (bias >= 0 && layers[l].Parameters[bias].grad is { } biasGradient)
                alive = alive.logical_or(biasGradient.ne(0));
            var mask = everAlive[l] ??= zeros(units, ScalarType.Bool, alive.device).DetachFromDisposeScope();
            mask.logical_or_(alive);
            read.Add(l);
            counts.Add(DevicePlacement.OnDevice(mask.logical_not().sum(), device));
        }
        return read.Count == 0 ? null : (read.ToArray(), stack(counts).to_type(ScalarType.Float64));
    }

    /// <summary>
    /// Reads the host's counts for the layers <see cref="Gather"/> returned and closes every window that is full: its
    /// dead-unit share is returned and its mask cleared (on the device, queued: no synchronization).
    /// <paramref name="used"/> tells, per layer, whether its gradient was not entirely zero at this check.
    /// </summary>
    public IReadOnlyList<DeadUnitReading> Complete(int[] read, ReadOnlySpan<double> neverAlive, Func<int, bool> used)
    {
        var closed = new List<DeadUnitReading>();
        for (int k = 0; k < read.Length; k++)
        {
            int l = read[k];
            if (!used(l))
                continue; // unused this step: its zero rows say nothing, and its mask gained nothing
            if (++samplesInWindow[l] < window)
                continue;
            closed.Add(new DeadUnitReading(layers[l].Name, layers[l].Units.Count, (long)neverAlive[k], window));
            samplesInWindow[l] = 0;
            everAlive[l]!.zero_();
        }
        return closed;
    }

    public void Dispose()
    {
        for (int l = 0; l < everAlive.Length; l++)
        {
            everAlive[l]?.Dispose();
            everAlive[l] = null;
        }
    }
}

/// <summary>A closed window of the dead-unit count of one layer.</summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="Units">How many output units it has.</param>
/// <param name="Dead">How many had an all-zero gradient row (and bias entry) at every sample of the window.</param>
/// <param name="Samples">How many sampled checks the window spans.</param>
internal sealed record DeadUnitReading(string Layer, long Units, long Dead, int Samples)
{
    /// <summary>The share of dead units, 0 to 1.</summary>
    public double Share => Units == 0 ? 0 : (double)Dead / Units;
}
