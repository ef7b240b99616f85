using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// How far steps move each layer's weights, ‖ΔW‖/‖W‖, measured on the device. <see cref="Keep"/> takes a device copy
/// of the chosen layers' parameters, in their dtype; <see cref="Measure"/>, after the weights moved, turns each copy
/// into the change in place and leaves the per-layer norms of the changes as one owned float64 vector, freeing the
/// copies at once (‖W‖ is the layer's weight norm the check that kept them had measured or cached, see
/// <see cref="GradientMonitorOptions.WeightNormEvery"/>: the ratios are judged by orders of magnitude); the next check appends that
/// vector to its single host copy (<see cref="TakeMeasured"/>) and <see cref="Read"/> turns it into ratios. No
/// synchronization of its own. With a monitor-wrapped optimizer the copy is kept right before the wrapped optimizer's
/// step and measured right after it, the actual step; without one, it is kept at a sampled check and measured at the
/// next check, so it is whatever changed the weights in between, divided by the steps in between. Owned by one
/// <see cref="ModelView"/>'s layers: the monitor disposes it with the view, and so every kept tensor.
/// </summary>
/// <remarks>
/// A parameter of more than <see cref="SampleSize"/> · 2 values is not copied whole: the same <see cref="SampleSize"/>
/// positions, drawn once uniformly at random, are copied and compared, and ‖ΔW‖² is estimated as n/k times the sampled
/// sum of squares (unbiased; within 10 % or so for the changes optimizers make, 7 % on a ReLU layer whose dead units'
/// rows are zero (UpdateRatioTests), while the bounds it is judged against are orders of magnitude apart). A whole copy of a 2.5 M-parameter MLP's weights took about as long as the
/// rest of the check (an allocation and a pass the size of the model, then the subtraction); the sample is a few
/// small gathers. A change that touches few positions (an embedding's rows of one batch) may be missed by the sample
/// and read as zero, which the detectors read as a layer the step did not move.
/// </remarks>
internal sealed class WeightUpdates : IDisposable
{
    /// <summary>How many positions of a large parameter are compared.</summary>
    public const int SampleSize = 4096;

    private readonly IReadOnlyList<WatchedLayer> layers;
    // Per large parameter, the positions compared (on its device), drawn at its first sample; freed with this object.
    private readonly Dictionary<Parameter, Tensor> positions = new(ReferenceEqualityComparer.Instance);
    // The kept parameters, each with its own copy, or with none (null) when they are kept joined in one copy.
    private List<(int Layer, Parameter Parameter, Tensor Copy)>? kept;
    private Tensor? joined;
    // The joined copy's layout, built at the first joined keep and reused while the same parameters are chosen (the
    // usual case: every sample chooses every moving layer): building it means two small copies from the host.
    private JoinedLayout? joinedLayout;
    private int[]? keptLayers;
    private double[]? keptWeightNorms;
    private double[]? measuredWeightNorms;
    private Tensor? measured;
    private int[]? measuredLayers;
    private double measuredSteps;
    private double? measuredLearningRate;
    private bool measuredActualStep;

    public WeightUpdates(IReadOnlyList<WatchedLayer> layers) => this.layers = layers;

    /// <summary>Whether a copy is kept, waiting for <see cref="Measure"/>.</summary>
    public bool IsKeeping => kept is not null;

    /// <summary>
    /// Keeps a device copy of the parameters of the layers <paramref name="take"/> accepts, limited to those
    /// <paramref name="updated"/> accepts (the parameters the optimizer steps; null: all with a gradient).
    /// </summary>
    public void Keep(Func<int, bool> take, Func<Parameter, bool>? updated, Func<int, double> weightNorm)
    {
        Discard();
        using var scope = NewDisposeScope(); // ours, not the caller's: the copies must outlive the user's scopes
        using var noGrad = no_grad();
        var chosen = new List<(int Layer, Parameter Parameter)>();
        var taken = new List<int>();
        for (int l = 0; l < layers.Count; l++)
        {
            if (!take(l))
                continue;
            bool any = false;
            foreach (var parameter in layers[l].Parameters)
            {
                if (parameter.IsInvalid || (updated is null ? parameter.grad is null : !updated(parameter)))
                    continue;
                chosen.Add((l, parameter));
                any = true;
            }
            if (any)
                taken.Add(l);
        }
        if (taken.Count == 0)
            return;
        if (Joinable(chosen))
        {
            // One copy of every chosen parameter's values, end to end: the copy is the concatenation itself. TorchSharp's
            // cat hands a single tensor back as it is, which here would be the parameter (Measure subtracts in place).
            var values = FlatValues(chosen.Select(c => c.Parameter));
            joined = (values.Length == 1 ? values[0].clone() : cat(values)).DetachFromDisposeScope();
            if (joinedLayout?.Fits(chosen, taken) != true)
            {
                joinedLayout?.Dispose();
                joinedLayout = JoinedLayout.For(chosen, taken);
            }
            kept = chosen.Select(c => (c.Layer, c.Parameter, (Tensor)null!)).ToList();
        }
        else
        {
            var copies = new List<(int, Parameter, Tensor)>();
            try
            {
                foreach (var (l, parameter) in chosen)
                    copies.Add((l, parameter, Values(parameter).clone().DetachFromDisposeScope()));
            }
            catch
            {
                // Out of device memory half way, say: the copies made so far are ours to free, not the finalizer's.
                foreach (var (_, _, copy) in copies)
                    copy.Dispose();
                throw;
            }
            kept = copies;
        }
        keptLayers = taken.ToArray();
        keptWeightNorms = taken.Select(weightNorm).ToArray();
    }

    // Whether the chosen parameters can be measured together (float32, one device: the common case), their change's
    // squares summed in float64, where the square of any float32 value neither overflows nor underflows, so no max-abs
    // scaling is needed. Others (half types, float64, a model spread over devices) are measured one by one.
    private static bool Joinable(List<(int Layer, Parameter Parameter)> chosen)
    {
        var first = chosen[0].Parameter;
        foreach (var (_, parameter) in chosen)
        {
            if (parameter.dtype != ScalarType.Float32 || parameter.device_type != first.device_type || parameter.device_index != first.device_index)
                return false;
        }
        return true;
    }

    /// <summary>
    /// How many values each chosen parameter has in the joined copy, and as device tensors each parameter's n/k scale
    /// (its size over the values compared) and its layer's slot among the taken layers, for one choice of parameters
    /// and layers (<see cref="Fits"/>); freed with this object, or when another choice replaces it.
    /// </summary>
    private sealed class JoinedLayout : IDisposable
    {
        private Parameter[] parameters = Array.Empty<Parameter>();
        private int[] layers = Array.Empty<int>();
        private int layerCount;

        /// <summary>Per chosen parameter, how many of its values the joined copy holds, in order.</summary>
        public long[] Lengths { get; private set; } = Array.Empty<long>();

        /// <summary>Per chosen parameter, n/k (float64).</summary>
        public Tensor Scales { get; private set; } = null!;

        /// <summary>Per chosen parameter, its layer's position among the taken layers.</summary>
        public Tensor LayerSlots { get; private set; } = null!;

        public int LayerCount => layerCount;

        /// <summary>Whether this is the layout of these parameters in these layers (the same objects, in the same order).</summary>
        public bool Fits(List<(int Layer, Parameter Parameter)> chosen, List<int> taken)
        {
            if (chosen.Count != parameters.Length || taken.Count != layers.Length)
                return false;
            for (int i = 0; i < parameters.Length; i++)
            {
                if (!ReferenceEquals(chosen[i].Parameter, parameters[i]))
                    return false;
            }
            for (int i = 0; i < layers.Length; i++)
            {
                if (taken[i] != layers[i])
                    return false;
            }
            return true;
        }

        public static JoinedLayout For(List<(int Layer, Parameter Parameter)> chosen, List<int> taken)
        {
            var device = chosen[0].Parameter.device;
            var lengths = new long[chosen.Count];
            var scales = new double[chosen.Count];
            var slots = new long[chosen.Count];
            for (int i = 0; i < chosen.Count; i++)
            {
                long count = chosen[i].Parameter.numel();
                long compared = ComparedCount(count);
                lengths[i] = compared;
                scales[i] = (double)count / compared;
                slots[i] = taken.IndexOf(chosen[i].Layer);
            }
            return new JoinedLayout
            {
                parameters = chosen.Select(c => c.Parameter).ToArray(),
                layers = taken.ToArray(),
                layerCount = taken.Count,
                Lengths = lengths,
                Scales = tensor(scales, device: device).DetachFromDisposeScope(),
                LayerSlots = tensor(slots, device: device).DetachFromDisposeScope(),
            };
        }

        public void Dispose()
        {
            Scales?.Dispose();
            LayerSlots?.Dispose();
        }
    }

    /// <summary>
    /// Measures how far the kept parameters moved since <see cref="Keep"/>, over <paramref name="steps"/> steps, and
    /// frees the copies. <paramref name="actualStep"/>: the copy was kept right before the optimizer's step.
    /// </summary>
    public void Measure(double steps, bool actualStep, double? learningRate)
    {
        if (kept is null)
            return;
        var copies = kept;
        var taken = keptLayers!;
        var weightNorms = keptWeightNorms!;
        kept = null;
        keptLayers = null;
        keptWeightNorms = null;
        measured?.Dispose();
        measured = null;
        var joinedCopy = joined;
        var layout = joinedLayout;
        joined = null;
        if (joinedCopy is not null)
        {
            MeasureJoined(copies, joinedCopy, layout!, taken, weightNorms, steps, actualStep, learningRate);
            return;
        }
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = copies[0].Copy.device;
            var updates = new List<Tensor>?[layers.Count];
            foreach (var (l, parameter, copy) in copies)
            {
                if (parameter.IsInvalid)
                    return; // replaced meanwhile: nothing to compare with
                // A scope per parameter: its temporaries (a half type's float32 copies) are freed before the next one's.
                using var perParameter = NewDisposeScope();
                // The change, in place in the copy (it is freed right after): one pass, no new tensor of the weights' size.
                // Half types subtract in float32, where the difference of two of their values is exact.
                var now = Values(parameter);
                var change = copy.dtype is ScalarType.Float32 or ScalarType.Float64
                    ? copy.sub_(now)
                    : copy.to_type(ScalarType.Float32).sub_(now.to_type(ScalarType.Float32));
                var norm = ScaledNorm(change);
                if (copy.numel() < parameter.numel())
                {
                    using Scalar scale = Math.Sqrt((double)parameter.numel() / copy.numel()); // held for the call (Scalars)
                    norm = norm.mul_(scale);
                }
                (updates[l] ??= new()).Add(perParameter.MoveToOuter(DevicePlacement.OnDevice(norm, device)));
            }
            var pieces = new List<Tensor>(taken.Length);
            foreach (int l in taken)
                pieces.Add(ScaledNorm(stack(updates[l]!).to_type(ScalarType.Float64)));
            Remember(stack(pieces).DetachFromDisposeScope(), taken, weightNorms, steps, actualStep, learningRate);
        }
        finally
        {
            foreach (var (_, _, copy) in copies)
                copy.Dispose();
        }
    }

    // A measurement and what the next check needs to judge it, kept until that check reads it.
    private void Remember(Tensor norms, int[] layers, double[] weightNorms, double steps, bool actualStep, double? learningRate)
    {
        measured = norms;
        measuredLayers = layers;
        measuredWeightNorms = weightNorms;
        measuredSteps = steps;
        measuredActualStep = actualStep;
        measuredLearningRate = learningRate;
    }

    // The joined measurement: the change of every parameter in one subtraction, its squares in float64, summed per
    // parameter (a sum over each parameter's slice: an index_add over every value with a per-value index took 155 µs on
    // the MLP's 46k compared values, the slices' sums 42 µs), scaled by n/k and summed per layer by one index_add. About
    // two libtorch calls per parameter, where measuring parameter by parameter took about fifteen; on a CPU their fixed
    // cost was most of the sample's.
    private void MeasureJoined(List<(int Layer, Parameter Parameter, Tensor Copy)> chosen, Tensor copy, JoinedLayout layout, int[] taken, double[] weightNorms,
        double steps, bool actualStep, double? learningRate)
    {
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var (_, parameter, _) in chosen)
            {
                if (parameter.IsInvalid)
                    return; // replaced meanwhile: nothing to compare with
            }
            var now = cat(FlatValues(chosen.Select(c => c.Parameter)));
            var change = copy.sub_(now).to_type(ScalarType.Float64);
            var squares = change.mul_(change);
            var slices = squares.split(layout.Lengths);
            var sums = new Tensor[slices.Length];
            for (int i = 0; i < slices.Length; i++)
                sums[i] = slices[i].sum();
            var perParameter = stack(sums).mul_(layout.Scales);
            var perLayer = zeros(layout.LayerCount, ScalarType.Float64, copy.device).index_add_(0, layout.LayerSlots, perParameter, Scalars.One);
            Remember(perLayer.sqrt_().DetachFromDisposeScope(), taken, weightNorms, steps, actualStep, learningRate);
        }
        finally
        {
            copy.Dispose();
        }
    }

    // How many of a parameter's values are compared: all of a small one, SampleSize of a large one.
    private static long ComparedCount(long count) => count <= 2 * SampleSize ? count : SampleSize;

    // Every chosen parameter's compared values, flattened, in order: the pieces of the joined copy and of its comparison.
    private Tensor[] FlatValues(IEnumerable<Parameter> parameters) => parameters.Select(p => Values(p).reshape(-1)).ToArray();

    // The values compared: the whole parameter, or its sampled positions (a gather of SampleSize values, in its dtype).
    private Tensor Values(Parameter parameter)
    {
        long count = parameter.numel();
        if (ComparedCount(count) == count)
            return parameter.detach();
        if (!positions.TryGetValue(parameter, out var drawn))
        {
            // A fixed seed: the same positions in every run, so that two runs of one model measure alike.
            var random = new Random(positions.Count + 1);
            var picked = new long[SampleSize];
            for (int i = 0; i < picked.Length; i++)
                picked[i] = random.NextInt64(count);
            Array.Sort(picked); // in memory order
            drawn = tensor(picked, device: parameter.device).DetachFromDisposeScope();
            positions[parameter] = drawn;
        }
        // No detach: every caller runs under no_grad, so the gather records no graph (one call fewer per parameter;
        // take, one call instead of two, ran slower than reshape and index_select on the CPU).
        return parameter.reshape(-1).index_select(0, drawn);
    }

    // The L2 norm of values divided by their max-abs, so that no square overflows or underflows (the same rescue
    // ExactNorms pays only when needed; paid here at each sample, once every UpdateRatioEvery checks), accumulated in
    // float32 for half, bfloat16 and float32 and in float64 for float64; the product of max-abs and the scaled norm is
    // taken in float64, where it cannot overflow. 0 when every value is 0; NaN when one is NaN. Scales x in place: every
    // caller hands over a tensor of its own (the change, or a stack of norms).
    private static Tensor ScaledNorm(Tensor x)
    {
        if (x.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            x = x.to_type(ScalarType.Float32);
        var maxAbs = ExactNorms.MaxAbs(x);
        var tiny = x.dtype == ScalarType.Float64 ? Scalars.TinyFloat64 : Scalars.TinyFloat32;
        var scaled = linalg.vector_norm(x.div_(maxAbs.clamp_min(tiny)));
        return maxAbs.to_type(ScalarType.Float64).mul(scaled.to_type(ScalarType.Float64));
    }

    /// <summary>
    /// The measured vector, handed over to the caller (who disposes it after the host copy), or null. Its layout is
    /// what <see cref="Read"/> expects.
    /// </summary>
    public (Tensor Vector, Func<double[], int, IReadOnlyList<UpdateReading>> Read)? TakeMeasured()
    {
        if (measured is null)
            return null;
        var vector = measured;
        var taken = measuredLayers!;
        var weightNorms = measuredWeightNorms!;
        double steps = measuredSteps;
        bool actual = measuredActualStep;
        double? learningRate = measuredLearningRate;
        measured = null;
        measuredLayers = null;
        return (vector, (host, offset) => Read(taken, weightNorms, host.AsSpan(offset, taken.Length), steps, actual, learningRate));
    }

    private List<UpdateReading> Read(int[] taken, double[] weightNorms, ReadOnlySpan<double> host, double steps, bool actual, double? learningRate)
    {
        var readings = new List<UpdateReading>(taken.Length);
        for (int k = 0; k < taken.Length; k++)
            readings.Add(new UpdateReading(layers[taken[k]].Name, host[k] / steps, weightNorms[k], actual, learningRate));
        return readings;
    }

    /// <summary>Frees a kept copy that will not be measured (a skipped step, a step the wrapper did not take).</summary>
    public void Discard()
    {
        if (kept is not null)
        {
            foreach (var (_, _, copy) in kept)
                copy?.Dispose(); // null for a joined copy
        }
        joined?.Dispose();
        joined = null;
        kept = null;
        keptLayers = null;
        keptWeightNorms = null;
    }

    /// <summary>
    /// Frees every tensor kept for later samples (a kept copy, the joined layout, the drawn positions): sampling has
    /// stopped for the run. A measurement already made is kept for the next check to read.
    /// </summary>
    public void StopSampling()
    {
        Discard();
        joinedLayout?.Dispose();
        joinedLayout = null;
        foreach (var drawn in positions.Values)
            drawn.Dispose();
        positions.Clear();
    }

    public void Dispose()
    {
        StopSampling();
        measured?.Dispose();
        measured = null;
    }
}

/// <summary>How far a step moved one layer's weights.</summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="UpdateNorm">‖ΔW‖ per step over all the layer's measured parameters (the change divided by the steps it spans).</param>
/// <param name="WeightNorm">‖W‖ of those parameters before the change.</param>
/// <param name="ActualStep">Whether it is the optimizer's step itself (wrapped optimizer) rather than the change between two checks.</param>
/// <param name="LearningRate">The largest learning rate of the wrapped optimizer's parameter groups at that step; null without the wrapper.</param>
internal sealed record UpdateReading(string Layer, double UpdateNorm, double WeightNorm, bool ActualStep, double? LearningRate)
{
    /// <summary>‖ΔW‖/‖W‖; NaN when the weights were zero or a value is not finite.</summary>
    public double Ratio => WeightNorm > 0 && double.IsFinite(WeightNorm) && double.IsFinite(UpdateNorm) ? UpdateNorm / WeightNorm : double.NaN;

    /// <summary>Whether the step moved the layer at all (an exactly zero change is a layer the step did not touch).</summary>
    public bool Moved => UpdateNorm != 0;
}
