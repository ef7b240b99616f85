using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Probing;
using static TorchSharp.torch;

namespace GradientGuard.Collection;

/// <summary>
/// Computes every watched parameter's gradient and weight norm, the loss and the probe readings as one float64
/// vector on the device, then copies it to the host once: one synchronization per check, however many parameters.
/// Norms are right over the whole range of each tensor's dtype (<see cref="ExactNorms"/>): a norm that is not finite,
/// zero or tiny is measured again, with the count of non-finite values, in one more synchronization; a tensor proven
/// exactly zero (<see cref="ProvenZeros"/>) also has its max-abs read in the first one, so staying exactly zero costs
/// no second synchronization. Everything runs inside its own dispose scope, so no tensor outlives the call.
/// </summary>
internal static class GradientNormCollector
{
    public static GradientSnapshot Collect(IReadOnlyList<WatchedLayer> layers, Tensor? loss, ActivationProbe? probe, WeightNormCache weightNorms, ProvenZeros zeros)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var owners = new List<int>();
        var gradients = new List<Tensor>();
        var parameterIndex = new List<int>();
        var weights = new List<Tensor>();          // the weights measured this check
        var weightParameter = new List<int>();     // per measured weight: its parameter's flat index
        var weightSlot = new List<int>();          // per gradient: its position among the measured weights, or -1
        int flat = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            foreach (var parameter in layers[l].Parameters)
            {
                int index = flat++;
                var gradient = parameter.grad;
                if (gradient is null)
                    continue;
                owners.Add(l);
                gradients.Add(gradient);
                parameterIndex.Add(index);
                if (weightNorms.MustMeasure(index))
                {
                    weightSlot.Add(weights.Count);
                    weights.Add(parameter);
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
        var measured = gradients.Concat(weights).ToList();
        // Which measured tensors the last check proved exactly zero: their max-abs is read too (ExactNorms).
        var provenZero = parameterIndex.Select(p => zeros.Gradient(p)).Concat(weightParameter.Select(p => zeros.Weight(p))).ToArray();
        // One float64 vector: the norms, the loss (a float64 loss keeps its precision), the probe's two-number readings.
        var pieces = new List<Tensor>(3);
        if (measured.Count > 0)
            pieces.Add(ExactNorms.Direct(measured, provenZero, device));
        if (loss is not null)
            pieces.Add(ExactNorms.OnDevice(loss.detach().reshape(1).to_type(ScalarType.Float64), device));
        if (probeTensors.Count > 0)
            pieces.Add(cat(probeTensors.Select(p => ExactNorms.OnDevice(p.Reading, device)).ToArray()).to_type(ScalarType.Float64));

        var reader = new HostReader();
        double[] host = pieces.Count == 0 ? Array.Empty<double>() : reader.Read(pieces.Count == 1 ? pieces[0] : cat(pieces));

        int direct = measured.Count > 0 ? ExactNorms.DirectLength(provenZero) : 0;
        var norms = new double[measured.Count];
        var nonFiniteValues = new long[measured.Count];
        ExactNorms.Rescue(measured, host.AsSpan(0, direct), provenZero, norms, nonFiniteValues, device, reader);
        for (int i = 0; i < gradients.Count; i++)
            zeros.Gradient(parameterIndex[i]) = provenZero[i];
        for (int w = 0; w < weights.Count; w++)
            zeros.Weight(weightParameter[w]) = provenZero[gradients.Count + w];

        var gradientNorms = new NormSum[layers.Count];
        var weightNormSums = new NormSum[layers.Count];
        var nonFinite = new long[layers.Count];
        var hasGradient = new bool[layers.Count];
        var global = new NormSum();
        for (int i = 0; i < gradients.Count; i++)
        {
            int l = owners[i];
            hasGradient[l] = true;
            gradientNorms[l].Add(norms[i]);
            global.Add(norms[i]);
            nonFinite[l] += nonFiniteValues[i];
            if (weightSlot[i] >= 0)
                weightNorms[parameterIndex[i]] = norms[gradients.Count + weightSlot[i]];
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
