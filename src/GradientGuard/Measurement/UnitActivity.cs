using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// Which output units of each Linear/convolution layer have shown any sign of life over a window of sampled checks,
/// measured from the gradients alone. A ReLU unit that outputs zero for every input of the batch passes no gradient to
/// its bias or its weight row, so its bias-gradient entry and its weight-gradient row are exactly zero; a unit alive
/// for even one input has a non-zero one (or a NaN one: NaN is not zero, so NaN counts as alive). Each layer keeps an
/// "ever alive" mask on the device (its part of one mask over every layer's units), OR-ed at every sampled check
/// without a synchronization; its count of never-alive units is one more number in the check's single host copy. A
/// window closes after <see cref="GradientMonitorOptions.DeadUnitsWindow"/> samples in which the layer's gradient was
/// not entirely zero (a layer whose whole gradient is zero was unused that step, which says nothing about its units),
/// or was zero because all its units are dead (see <see cref="Complete"/>); its mask is then cleared on the device.
/// The last unit layer (the output layer, in registration order) is left out: no activation follows it, so an all-zero
/// row there means an output the loss ignores, not a dead unit. Owned by one <see cref="ModelView"/>'s layers: the
/// monitor disposes it with the view.
/// </summary>
/// <remarks>
/// <para>A layer with a bias gradient is read from that alone: one small vector per layer, where the weight-gradient
/// rows meant two more passes over every weight gradient at each sample (two row reductions, about half a
/// millisecond per sample on the benchmark MLP's 10 MB). A live unit's bias entry is the sum of its output gradient over
/// the batch, which is exactly zero only if those terms cancel exactly: a Linear or convolution followed by batch or
/// instance normalization, whose bias the normalization removes, sees that at some samples (0.4–12 % of them in a
/// measurement), and a unit counts as dead only when it happens at every sample of a window. A layer without a bias
/// gradient (no bias, or a frozen one) is read from its weight-gradient rows, exact in every dtype.</para>
/// <para>An L2 penalty on the weights written into the loss makes a dead unit's weight row non-zero but not its bias
/// entry, so the bias finds those dead units too.</para>
/// </remarks>
internal sealed class UnitActivity : IDisposable
{
    private readonly IReadOnlyList<WatchedLayer> layers;
    // The unit layers (Linear/convolution) in registration order, and where each one's units start in the layout that
    // the mask and every per-unit vector share: all unit layers' units, one after the other.
    private readonly int[] unitLayers;
    private readonly long[] offsets;
    private readonly long totalUnits;
    private readonly int[] samplesInWindow;
    private readonly bool[] judged;
    private readonly int every;
    private readonly int window;
    private long checks;
    // On the check's device, created at the first sample: the "ever alive" mask of every unit layer's units, and the
    // index of each unit's layer (for the per-layer sums of one index_add).
    private Tensor? everAlive;
    private Tensor? segments;

    public UnitActivity(IReadOnlyList<WatchedLayer> layers, int every, int window)
    {
        this.layers = layers;
        this.every = every;
        this.window = window;
        samplesInWindow = new int[layers.Count];
        judged = new bool[layers.Count];
        var found = new List<int>();
        for (int l = 0; l < layers.Count; l++)
        {
            if (layers[l].Units.Exist)
                found.Add(l);
        }
        unitLayers = found.ToArray();
        offsets = new long[unitLayers.Length];
        for (int k = 0; k < unitLayers.Length; k++)
        {
            offsets[k] = totalUnits;
            totalUnits += layers[unitLayers[k]].Units.Count;
            judged[unitLayers[k]] = k != unitLayers.Length - 1;
        }
    }

    /// <summary>
    /// At a sampled check, ORs this check's live units into each layer's part of the mask and returns which unit layers
    /// had a weight gradient, and one float64 vector on <paramref name="device"/> of how many of each unit layer's units
    /// were never alive in its window so far; null at other checks or when no judged layer has a gradient. Call inside
    /// the check's dispose scope: only the mask outlives it.
    /// </summary>
    /// <remarks>
    /// One small test per layer is all the per-layer work on the device (a bias gradient's entries, or a weight
    /// gradient's rows); the rest runs once over every layer's units together. Per layer, the same count took some
    /// fifteen small libtorch calls, and on a CPU their fixed cost (a few µs each) was most of its cost on a 10-layer MLP.
    /// </remarks>
    public (bool[] Present, Tensor Vector)? Gather(Device device)
    {
        if (checks++ % every != 0 || unitLayers.Length == 0)
            return null;
        int n = unitLayers.Length;
        var alive = new Tensor[n];
        var present = new bool[n];
        bool anyJudged = false;
        for (int k = 0; k < n; k++)
        {
            int l = unitLayers[k];
            var (weight, bias, units) = layers[l].Units;
            var weightGradient = layers[l].Parameters[weight].grad;
            if (weightGradient is null)
            {
                // Frozen: no gradient, no judgement; false keeps its place in the layout and ORs nothing into its mask.
                alive[k] = zeros(units, ScalarType.Bool, device);
                continue;
            }
            present[k] = true;
            anyJudged |= judged[l];
            var biasGradient = bias >= 0 ? layers[l].Parameters[bias].grad : null;
            alive[k] = DevicePlacement.OnDevice(biasGradient is null ? RowsNotZero(weightGradient, units) : biasGradient.ne(Scalars.Zero), device);
        }
        if (!anyJudged)
            return null;

        var mask = Mask(device);
        mask.logical_or_(cat(alive));
        var neverAlive = zeros(n, ScalarType.Float64, device).index_add_(0, Segments(device), mask.logical_not().to_type(ScalarType.Float64), Scalars.One);
        return (present, neverAlive);
    }

    private static readonly long[] RowDimension = { 1 };

    // Whether each row holds a value other than ±0: its largest or its smallest value is not 0 (NaN is not 0 either, so a
    // row holding NaN counts). Exact in every dtype, no squares to underflow; two vectorized row reductions, where the
    // row-wise infinity norm took some 30 times as long on the CPU.
    private static Tensor RowsNotZero(Tensor weightGradient, long units)
    {
        var rows = weightGradient.reshape(units, -1);
        return rows.amax(RowDimension).ne(Scalars.Zero).logical_or_(rows.amin(RowDimension).ne(Scalars.Zero));
    }

    // The mask, created (all false) at the first sample and moved along if the model's device changed.
    private Tensor Mask(Device device)
    {
        if (everAlive is null)
            everAlive = zeros(totalUnits, ScalarType.Bool, device).DetachFromDisposeScope();
        else if (!DevicePlacement.IsOn(everAlive, device))
            Replace(ref everAlive, everAlive.to(device).DetachFromDisposeScope());
        return everAlive!;
    }

    // Each unit's layer, as the position of its layer among the unit layers.
    private Tensor Segments(Device device)
    {
        if (segments is null || !DevicePlacement.IsOn(segments, device))
        {
            var index = new long[totalUnits];
            for (int k = 0; k < unitLayers.Length; k++)
                Array.Fill(index, k, (int)offsets[k], (int)layers[unitLayers[k]].Units.Count);
            Replace(ref segments, tensor(index, device: device).DetachFromDisposeScope());
        }
        return segments!;
    }

    private static void Replace(ref Tensor? field, Tensor value)
    {
        field?.Dispose();
        field = value;
    }

    /// <summary>
    /// Reads the host's numbers for what <see cref="Gather"/> returned and closes every window that is full: its
    /// dead-unit share is returned and its part of the mask cleared (on the device, queued: no synchronization). A layer
    /// counts toward its window when its gradient was not entirely zero at this check (<paramref name="gradientIsZero"/>
    /// false), or when it was and the next unit layer saw an all-zero input: all its units are dead.
    /// <paramref name="parameterGradientIsZero"/> tells, by a parameter's flat index, whether its gradient was all ±0 at
    /// this check (the exact norms of the same check say so; NaN is not zero), or null when it had none.
    /// </summary>
    /// <remarks>
    /// A layer all of whose units died has an all-zero gradient, which alone looks like a layer unused this step. The
    /// next unit layer tells them apart: its weight gradient is its output gradient times its input, so when its bias
    /// gradient is not zero and its weight gradient is, its input was zero for the whole batch: every unit feeding it is
    /// dead. That evidence is read for the previous unit layer in registration order (the one that feeds it in a
    /// sequential stack), and trusted only when that layer's own gradient is all zero too, as it must be if its units
    /// are dead.
    /// </remarks>
    public IReadOnlyList<DeadUnitReading> Complete(bool[] present, ReadOnlySpan<double> host, Func<int, bool> gradientIsZero, Func<int, bool?> parameterGradientIsZero)
    {
        int n = unitLayers.Length;
        var silent = new HashSet<int>();
        for (int k = 1; k < n; k++)
        {
            // Unit layer k's input was zero for the whole batch: its weight gradient all zero, its bias gradient not.
            var layer = layers[unitLayers[k]];
            var (weight, bias, _) = layer.Units;
            if (present[k] && judged[unitLayers[k - 1]] && bias >= 0
                && parameterGradientIsZero(layer.FirstParameter + weight) == true && parameterGradientIsZero(layer.FirstParameter + bias) == false)
                silent.Add(unitLayers[k - 1]);
        }
        var closed = new List<DeadUnitReading>();
        for (int k = 0; k < n; k++)
        {
            int l = unitLayers[k];
            if (!present[k] || !judged[l])
                continue;
            if (gradientIsZero(l) && !silent.Contains(l))
                continue; // unused this step: its zero rows say nothing, and its mask gained nothing
            if (++samplesInWindow[l] < window)
                continue;
            long units = layers[l].Units.Count;
            closed.Add(new DeadUnitReading(layers[l].Name, units, (long)host[k], window));
            samplesInWindow[l] = 0;
            using var part = everAlive!.narrow(0, offsets[k], units);
            part.zero_();
        }
        return closed;
    }

    /// <summary>How many numbers <see cref="Gather"/>'s vector holds.</summary>
    public int Length => unitLayers.Length;

    public void Dispose()
    {
        everAlive?.Dispose();
        everAlive = null;
        segments?.Dispose();
        segments = null;
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
