using System;
using System.Collections.Generic;
using System.Linq;
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
/// says nothing about its units), or was zero because all its units are dead (see <see cref="Gather"/>); its mask is
/// then cleared on the device.
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
    /// At a sampled check, ORs this check's live rows into each judged layer's mask and returns the layers read, their
    /// counts of units never alive in the window so far, and then, per layer in <c>Fed</c>, whether the next unit layer
    /// saw an all-zero input (1) or not (0), as one float64 vector on <paramref name="device"/>; null at other checks or
    /// when no judged layer has a gradient. Call inside the check's dispose scope: only the masks outlive it.
    /// </summary>
    /// <remarks>
    /// A layer all of whose units died has an all-zero gradient, which alone looks like a layer unused this step. The
    /// next unit layer tells them apart: its weight gradient is its output gradient times its input, so when its bias
    /// gradient is non-zero and its weight gradient is all zero, its input was zero for the whole batch: every unit
    /// feeding it is dead. That evidence is read for the previous unit layer in registration order (the one that
    /// feeds it in a sequential stack), and <see cref="Complete"/> trusts it only when that layer's own gradient is
    /// all zero too, as it must be if its units are dead.
    /// </remarks>
    public (int[] Layers, int[] Fed, Tensor Vector)? Gather(Device device)
    {
        if (checks++ % every != 0)
            return null;
        var read = new List<int>();
        var counts = new List<Tensor>();
        var fed = new List<int>();
        var inputDead = new List<Tensor>();
        int previous = -1;
        for (int l = 0; l < layers.Count; l++)
        {
            if (!layers[l].Units.Exist)
                continue;
            int feeder = previous;
            previous = l;
            var (weight, bias, units) = layers[l].Units;
            var weightGradient = layers[l].Parameters[weight].grad;
            if (weightGradient is null)
                continue; // frozen: no gradient, no judgement
            // Whether each row holds a value other than ±0: its largest or its smallest value is not 0 (NaN is not 0
            // either, so a row holding NaN counts). Exact in every dtype, no squares to underflow; two vectorized row
            // reductions, where the row-wise infinity norm took some 30 times as long on the CPU.
            var rows = weightGradient.reshape(units, -1);
            var nonZeroRows = rows.amax(new long[] { 1 }).ne(Scalars.Zero).logical_or_(rows.amin(new long[] { 1 }).ne(Scalars.Zero));
            var biasGradient = bias >= 0 ? layers[l].Parameters[bias].grad : null;
            var nonZeroBias = biasGradient?.ne(Scalars.Zero); // read by both judgements below
            if (feeder >= 0 && judged[feeder] && nonZeroBias is not null)
            {
                fed.Add(feeder);
                inputDead.Add(DevicePlacement.OnDevice(nonZeroRows.any().logical_not().logical_and(nonZeroBias.any()), device));
            }
            if (!judged[l])
                continue;
            var alive = nonZeroRows;
            if (nonZeroBias is not null)
                alive = alive.logical_or(nonZeroBias);
            var mask = everAlive[l] ??= zeros(units, ScalarType.Bool, alive.device).DetachFromDisposeScope();
            mask.logical_or_(alive);
            read.Add(l);
            counts.Add(DevicePlacement.OnDevice(mask.logical_not().sum(), device));
        }
        if (read.Count == 0)
            return null;
        var pieces = counts.Select(c => c.to_type(ScalarType.Float64)).Concat(inputDead.Select(d => d.to_type(ScalarType.Float64))).ToArray();
        return (read.ToArray(), fed.ToArray(), stack(pieces));
    }

    /// <summary>
    /// Reads the host's numbers for what <see cref="Gather"/> returned and closes every window that is full: its
    /// dead-unit share is returned and its mask cleared (on the device, queued: no synchronization). A layer counts
    /// toward its window when its gradient was not entirely zero at this check (<paramref name="gradientIsZero"/>
    /// false), or when it was and the next unit layer saw an all-zero input: all its units are dead.
    /// </summary>
    public IReadOnlyList<DeadUnitReading> Complete(int[] read, int[] fed, ReadOnlySpan<double> host, Func<int, bool> gradientIsZero)
    {
        var silent = new HashSet<int>();
        for (int k = 0; k < fed.Length; k++)
        {
            if (host[read.Length + k] != 0)
                silent.Add(fed[k]);
        }
        var closed = new List<DeadUnitReading>();
        for (int k = 0; k < read.Length; k++)
        {
            int l = read[k];
            if (gradientIsZero(l) && !silent.Contains(l))
                continue; // unused this step: its zero rows say nothing, and its mask gained nothing
            if (++samplesInWindow[l] < window)
                continue;
            closed.Add(new DeadUnitReading(layers[l].Name, layers[l].Units.Count, (long)host[k], window));
            samplesInWindow[l] = 0;
            everAlive[l]!.zero_();
        }
        return closed;
    }

    /// <summary>How many numbers <see cref="Gather"/>'s vector holds.</summary>
    public static int Length((int[] Layers, int[] Fed, Tensor Vector) gathered) => gathered.Layers.Length + gathered.Fed.Length;

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
