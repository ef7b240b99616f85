using System;
using System.Collections.Generic;
using GradientGuard.Probing;
using static TorchSharp.torch;

namespace GradientGuard.Collection;

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
    public static GradientSnapshot Collect(IReadOnlyList<WatchedLayer> layers, Tensor? loss, ActivationProbe? probe, WeightNormCache weightNorms, ProvenZeros zeros)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var owners = new List<int>();
        var gradients = new List<Tensor>();
        var gradientShapes = new List<TensorShape>();
        var parameterIndex = new List<int>();
        var weights = new List<Tensor>();          // the weights measured this check
        var weightShapes = new List<TensorShape>();
        var weightParameter = new List<int>();     // per measured weight: its parameter's flat index
        var weightSlot = new List<int>();          // per gradient: its position among the measured weights, or -1
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
                owners.Add(l);
                gradients.Add(gradient);
                gradientShapes.Add(layers[l].Shapes[p]);
                parameterIndex.Add(index);
                if (weightNorms.MustMeasure(index))
                {
                    weightSlot.Add(weights.Count);
                    weights.Add(parameters[p]);
                    weightShapes.Add(layers[l].Shapes[p]);
                    weightParameter.Add(index);
                }
                else
                {
                    weightSlot.Add(-1);
                }
            }
        }

        var probeTensors = probe?.ReadForCheck() ?? Array.Empty<(ActivationProbe.Site Site, Tensor Reading)>();
        var device = gradients.Count > 0 ? gradients[0].device : loss?.device ?? CPU;
        // The measured tensors: the gradients, then the weights measured this check.
        var measured = new List<Tensor>(gradients.Count + weights.Count);
        measured.AddRange(gradients);
        measured.AddRange(weights);
        var shapes = new List<TensorShape>(measured.Count);
        shapes.AddRange(gradientShapes);
        shapes.AddRange(weightShapes);
        // Which measured tensors are remembered as recently exactly zero: their max-abs is read too (ExactNorms).
        var readMaxAbs = new bool[measured.Count];
        for (int i = 0; i < parameterIndex.Count; i++)
            readMaxAbs[i] = zeros.Gradient(parameterIndex[i]);
        for (int w = 0; w < weightParameter.Count; w++)
            readMaxAbs[parameterIndex.Count + w] = zeros.Weight(weightParameter[w]);
        // One float64 vector: the norms, the loss (a float64 loss keeps its precision), the probe's two-number readings.
        var pieces = new List<Tensor>(3);
        if (measured.Count > 0)
            pieces.Add(ExactNorms.Direct(measured, shapes, readMaxAbs, device));
        if (loss is not null)
            pieces.Add(DevicePlacement.OnDevice(loss.detach().reshape(1).to_type(ScalarType.Float64), device));
        if (probeTensors.Count > 0)
        {
            var readings = new Tensor[probeTensors.Count];
            for (int i = 0; i < readings.Length; i++)
                readings[i] = DevicePlacement.OnDevice(probeTensors[i].Reading, device);
            pieces.Add(cat(readings).to_type(ScalarType.Float64));
        }

        var reader = new HostReader();
        double[] host = pieces.Count == 0 ? Array.Empty<double>() : reader.Read(pieces.Count == 1 ? pieces[0] : cat(pieces));

        int direct = measured.Count > 0 ? ExactNorms.DirectLength(readMaxAbs) : 0;
        var (norms, nonFiniteValues, exactlyZero) = ExactNorms.Rescue(measured, shapes, host.AsSpan(0, direct), readMaxAbs, device, reader);
        int gradientCount = parameterIndex.Count;
        for (int i = 0; i < gradientCount; i++)
            zeros.RecordGradient(parameterIndex[i], exactlyZero[i]);
        for (int w = 0; w < weightParameter.Count; w++)
            zeros.RecordWeight(weightParameter[w], exactlyZero[gradientCount + w]);

        var gradientNorms = new NormSum[layers.Count];
        var weightNormSums = new NormSum[layers.Count];
        var nonFinite = new long[layers.Count];
        var hasGradient = new bool[layers.Count];
        var global = new NormSum();
        for (int i = 0; i < gradientCount; i++)
        {
            int l = owners[i];
            hasGradient[l] = true;
            gradientNorms[l].Add(norms[i]);
            global.Add(norms[i]);
            nonFinite[l] += nonFiniteValues[i];
            if (weightSlot[i] >= 0)
                weightNorms[parameterIndex[i]] = norms[gradientCount + weightSlot[i]];
            weightNormSums[l].Add(weightNorms[parameterIndex[i]]);
        }

        var stats = new List<LayerGradient>(layers.Count);
        for (int l = 0; l < layers.Count; l++)
        {
            if (hasGradient[l])
                stats.Add(new LayerGradient(layers[l].Name, gradientNorms[l].Value, weightNormSums[l].Value, nonFinite[l]));
        }

        int next = direct;
        double? lossValue = loss is null ? null : host[next++];
        var activations = new List<ActivationReading>(probeTensors.Count);
        foreach (var (site, _) in probeTensors)
        {
            activations.Add(new ActivationReading(site.Name, site.Kind, host[next], host[next + 1]));
            next += 2;
        }

        return new GradientSnapshot(stats, global.Value, lossValue, activations, ProbeSawNoForwardPass: probe is not null && probeTensors.Count == 0 && probe.HasLivedMaxAge)
        {
            HostSynchronizations = reader.Synchronizations,
        };
    }
}
