using System;
using System.Collections.Generic;
using GradientGuard.Probing;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// Computes every watched parameter's gradient and weight norm, the loss and the probe readings as one float64
/// vector on the device, then copies it to the host once: one synchronization per check, however many parameters.
/// Norms are right over the whole range of each tensor's dtype (<see cref="ExactNorms"/>): a norm that is not finite,
/// zero or tiny is measured again, with the count of non-finite values, in one more synchronization; a tensor proven
/// recently exactly zero (<see cref="ProvenZeros"/>) also has its max-abs read in the first one, so being exactly zero
/// again costs no second synchronization. Everything runs inside its own dispose scope, so no tensor outlives the call.
/// </summary>
internal static class GradientNormCollector
{
    public static GradientSnapshot Collect(IReadOnlyList<WatchedLayer> layers, Tensor? loss, ActivationProbe? probe, WeightNormCache weightNorms, ProvenZeros zeros,
        UnitActivity units, WeightUpdates updates)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var measured = Measured.Gather(layers, weightNorms, zeros);
        var probeTensors = probe?.ReadForCheck() ?? Array.Empty<ProbeSample>();
        var device = measured.Gradients > 0 ? measured.Tensors[0].device : loss?.device ?? CPU;
        var unitCounts = units.Gather(device);
        var update = updates.TakeMeasured();
        if (update is { } taken)
            scope.Attach(taken.Vector); // handed over to this check: its scope disposes it after the copy
        var reader = new HostReader();
        double[] host = CopyToHost(measured, loss, probeTensors, unitCounts?.Vector, update?.Vector, device, reader);
        var snapshot = Aggregate(layers, measured, host, loss, probe, probeTensors, weightNorms, zeros, device, reader, out var exactNorms);

        // The extra numbers sit at the end of the vector, after the direct norms, the loss and the probe readings.
        int end = host.Length;
        IReadOnlyList<UpdateReading> updateReadings = Array.Empty<UpdateReading>();
        if (update is { } u)
        {
            int length = (int)u.Vector.shape[0];
            updateReadings = u.Read(host, end - length);
            end -= length;
        }
        IReadOnlyList<DeadUnitReading> dead = Array.Empty<DeadUnitReading>();
        if (unitCounts is { } gathered)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in snapshot.Layers)
            {
                if (layer.GradientNorm != 0) // exactly zero only when every value is (ExactNorms); NaN counts as used
                    used.Add(layer.Name);
            }
            int length = units.Length;
            var gradientAt = new Dictionary<int, int>(measured.Gradients); // a parameter's flat index -> its gradient's norm
            for (int i = 0; i < measured.Gradients; i++)
                gradientAt[measured.ParameterIndex[i]] = i;
            dead = units.Complete(gathered.Present, host.AsSpan(end - length, length), l => !used.Contains(layers[l].Name),
                parameter => gradientAt.TryGetValue(parameter, out int i) ? exactNorms[i] == 0 : null);
        }
        return snapshot with { DeadUnits = dead, Updates = updateReadings };
    }

    // One float64 vector on the device, copied to the host once: the direct norms (and the max-abs of tensors
    // remembered zero), the loss (a float64 loss keeps its precision), the probe's readings (raw sums, ProbeSample), then the
    // dead-unit numbers (UnitActivity.Gather) and the weight-update norms when this check has them.
    private static double[] CopyToHost(Measured measured, Tensor? loss, IReadOnlyList<ProbeSample> probeTensors,
        Tensor? unitCounts, Tensor? updateNorms, Device device, HostReader reader)
    {
        var pieces = new List<Tensor>(5);
        if (measured.Tensors.Count > 0)
            pieces.Add(ExactNorms.Direct(measured.Tensors, measured.Shapes, measured.ReadMaxAbs, device));
        if (loss is not null)
            pieces.Add(DevicePlacement.OnDevice(loss.detach().reshape(1).to_type(ScalarType.Float64), device));
        if (probeTensors.Count > 0)
        {
            var readings = new Tensor[probeTensors.Count];
            for (int i = 0; i < readings.Length; i++)
                readings[i] = DevicePlacement.OnDevice(probeTensors[i].Values.reshape(-1), device);
            // cat promotes the ReLU family's integer counts with the others' float sums; counts of a sample fit either.
            pieces.Add(cat(readings).to_type(ScalarType.Float64));
        }
        if (unitCounts is not null)
            pieces.Add(unitCounts);
        if (updateNorms is not null)
            pieces.Add(DevicePlacement.OnDevice(updateNorms, device));
        return pieces.Count == 0 ? Array.Empty<double>() : reader.Read(pieces.Count == 1 ? pieces[0] : cat(pieces));
    }

    // From the host's numbers to the snapshot: norms measured again where the direct ones cannot be trusted (handed out
    // as well: the dead-unit count reads which gradients are exactly zero), the zero memory updated, per-layer and global
    // norms summed without overflow, the loss and the probe readings read off.
    private static GradientSnapshot Aggregate(IReadOnlyList<WatchedLayer> layers, Measured measured, double[] host, Tensor? loss, ActivationProbe? probe,
        IReadOnlyList<ProbeSample> probeTensors, WeightNormCache weightNorms, ProvenZeros zeros, Device device, HostReader reader, out double[] exactNorms)
    {
        int direct = measured.Tensors.Count > 0 ? ExactNorms.DirectLength(measured.ReadMaxAbs) : 0;
        var (norms, nonFiniteValues, exactlyZero) = ExactNorms.Rescue(measured.Tensors, measured.Shapes, host.AsSpan(0, direct), measured.ReadMaxAbs, device, reader);
        int gradientCount = measured.Gradients;
        exactNorms = norms; // the gradients' come first (0 exactly when every value is ±0)
        for (int i = 0; i < gradientCount; i++)
            zeros.RecordGradient(measured.ParameterIndex[i], exactlyZero[i]);
        for (int w = 0; w < measured.WeightParameter.Count; w++)
            zeros.RecordWeight(measured.WeightParameter[w], exactlyZero[gradientCount + w]);

        var gradientNorms = new NormSum[layers.Count];
        var weightNormSums = new NormSum[layers.Count];
        var nonFinite = new long[layers.Count];
        var hasGradient = new bool[layers.Count];
        var global = new NormSum();
        for (int i = 0; i < gradientCount; i++)
        {
            int l = measured.Owners[i];
            int parameter = measured.ParameterIndex[i];
            hasGradient[l] = true;
            gradientNorms[l].Add(norms[i]);
            global.Add(norms[i]);
            nonFinite[l] += nonFiniteValues[i];
            if (measured.WeightSlot[i] >= 0)
                weightNorms[parameter] = norms[gradientCount + measured.WeightSlot[i]];
            weightNormSums[l].Add(weightNorms[parameter]);
        }

        var stats = new List<LayerGradient>(layers.Count);
        for (int l = 0; l < layers.Count; l++)
        {
            if (hasGradient[l])
                stats.Add(new LayerGradient(layers[l].Name, gradientNorms[l].Value, weightNormSums[l].Value, nonFinite[l]));
        }

        int next = direct;
        double? lossValue = loss is null ? null : host[next++];
        foreach (var sample in probeTensors)
        {
            var (saturated, derivative) = sample.Interpret(host.AsSpan(next, sample.Length));
            probe!.Remember(sample.Site, saturated, derivative);
            next += sample.Length;
        }
        // The readings of this check's sample, and those of earlier samples that still describe the model.
        var activations = probe?.Recent() ?? Array.Empty<ActivationReading>();

        return new GradientSnapshot(stats, global.Value, lossValue, activations, ProbeSawNoForwardPass: probe is not null && activations.Count == 0 && probe.HasLivedMaxAge)
        {
            HostSynchronizations = reader.Synchronizations,
        };
    }

    /// <summary>
    /// What one check measures, in order: the gradients of the watched parameters that have one, then the weights whose
    /// norm is refreshed this check; with their shapes, owners and whether their max-abs is read (remembered zero).
    /// </summary>
    private sealed class Measured
    {
        public List<Tensor> Tensors { get; } = new();

        public List<TensorShape> Shapes { get; } = new();

        /// <summary>How many of <see cref="Tensors"/> are gradients (they come first).</summary>
        public int Gradients { get; private set; }

        /// <summary>Per gradient: the index of its layer.</summary>
        public List<int> Owners { get; } = new();

        /// <summary>Per gradient: its parameter's flat index.</summary>
        public List<int> ParameterIndex { get; } = new();

        /// <summary>Per gradient: its weight's position among the measured weights, or -1.</summary>
        public List<int> WeightSlot { get; } = new();

        /// <summary>Per measured weight: its parameter's flat index.</summary>
        public List<int> WeightParameter { get; } = new();

        public bool[] ReadMaxAbs { get; private set; } = Array.Empty<bool>();

        public static Measured Gather(IReadOnlyList<WatchedLayer> layers, WeightNormCache weightNorms, ProvenZeros zeros)
        {
            var measured = new Measured();
            var weights = new List<Tensor>();
            var weightShapes = new List<TensorShape>();
            int flat = 0;
            for (int l = 0; l < layers.Count; l++)
            {
                var parameters = layers[l].Parameters;
                for (int p = 0; p < parameters.Length; p++)
                {
                    int index = flat++;
                    var gradient = parameters[p].grad;
                    if (gradient is null)
                        continue;
                    measured.Owners.Add(l);
                    measured.Tensors.Add(gradient);
                    measured.Shapes.Add(layers[l].Shapes[p]);
                    measured.ParameterIndex.Add(index);
                    if (weightNorms.MustMeasure(index))
                    {
                        measured.WeightSlot.Add(weights.Count);
                        weights.Add(parameters[p]);
                        weightShapes.Add(layers[l].Shapes[p]);
                        measured.WeightParameter.Add(index);
                    }
                    else
                    {
                        measured.WeightSlot.Add(-1);
                    }
                }
            }
            measured.Gradients = measured.Tensors.Count;
            measured.Tensors.AddRange(weights);
            measured.Shapes.AddRange(weightShapes);
            // Which measured tensors are remembered as recently exactly zero: their max-abs is read too (ExactNorms).
            measured.ReadMaxAbs = new bool[measured.Tensors.Count];
            for (int i = 0; i < measured.Gradients; i++)
                measured.ReadMaxAbs[i] = zeros.Gradient(measured.ParameterIndex[i]);
            for (int w = 0; w < measured.WeightParameter.Count; w++)
                measured.ReadMaxAbs[measured.Gradients + w] = zeros.Weight(measured.WeightParameter[w]);
            return measured;
        }
    }
}
