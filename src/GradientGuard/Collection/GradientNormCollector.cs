using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Probing;
using static TorchSharp.torch;

namespace GradientGuard.Collection;

/// <summary>
/// Computes every watched parameter's gradient and weight norm, the loss and the probe readings as one
/// float32 vector on the device, then copies it to the host once: one synchronization per check, however
/// many parameters. Non-finite values are counted (a second sync) only when a norm shows that they exist.
/// Everything runs inside its own dispose scope, so no tensor outlives the call.
/// </summary>
internal static class GradientNormCollector
{
    public static GradientSnapshot Collect(IReadOnlyList<WatchedLayer> layers, Tensor? loss, ActivationProbe? probe, WeightNormCache weightNorms)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var owners = new List<int>();
        var gradients = new List<Tensor>();
        var parameterIndex = new List<int>();
        var weights = new List<Tensor>();          // the weights measured this check
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
                }
                else
                {
                    weightSlot.Add(-1);
                }
            }
        }

        var probeTensors = probe?.LatestReadings() ?? Array.Empty<(ActivationProbe.Site Site, Tensor Reading)>();
        var device = gradients.Count > 0 ? gradients[0].device : loss?.device ?? CPU;
        // Scalars are stacked (no per-parameter reshape); the probe's two-number readings are appended after them.
        var scalars = new List<Tensor>(gradients.Count + weights.Count + 1);
        scalars.AddRange(gradients.Select(g => Norm(g, device)));
        scalars.AddRange(weights.Select(w => Norm(w, device)));
        if (loss is not null)
            scalars.Add(AsFloat(loss.detach(), device).sum());
        var pieces = new List<Tensor>(1 + probeTensors.Count);
        if (scalars.Count > 0)
            pieces.Add(stack(scalars));
        pieces.AddRange(probeTensors.Select(p => AsFloat(p.Reading, device)));

        float[] host = pieces.Count == 0 ? Array.Empty<float>() : (pieces.Count == 1 ? pieces[0] : cat(pieces)).cpu().data<float>().ToArray();

        var gradientSquares = new double[layers.Count];
        var weightSquares = new double[layers.Count];
        var nonFinite = new long[layers.Count];
        var hasGradient = new bool[layers.Count];
        for (int i = 0; i < gradients.Count; i++)
        {
            int l = owners[i];
            double norm = host[i];
            hasGradient[l] = true;
            gradientSquares[l] += norm * norm;
            double weight = weightSlot[i] >= 0 ? weightNorms[parameterIndex[i]] = host[gradients.Count + weightSlot[i]] : weightNorms[parameterIndex[i]];
            weightSquares[l] += weight * weight;
            if (!double.IsFinite(norm))
                nonFinite[l] += CountNonFinite(gradients[i]);
        }

        var stats = new List<LayerGradient>(layers.Count);
        double globalSquares = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            if (!hasGradient[l])
                continue;
            globalSquares += gradientSquares[l];
            stats.Add(new LayerGradient(layers[l].Name, Math.Sqrt(gradientSquares[l]), Math.Sqrt(weightSquares[l]), nonFinite[l]));
        }

        int next = gradients.Count + weights.Count;
        double? lossValue = loss is null ? null : host[next++];
        var activations = new List<ActivationReading>(probeTensors.Count);
        foreach (var (site, _) in probeTensors)
        {
            activations.Add(new ActivationReading(site.Name, site.Kind, host[next], host[next + 1]));
            next += 2;
        }

        return new GradientSnapshot(stats, Math.Sqrt(globalSquares), lossValue, activations);
    }

    private static Tensor Norm(Tensor t, Device device) => linalg.vector_norm(AsFloat(t, device));

    private static Tensor AsFloat(Tensor t, Device device)
    {
        var floats = t.dtype == ScalarType.Float32 ? t : t.to_type(ScalarType.Float32);
        // Device has no value equality (== compares references): compare its parts, or every tensor would be copied.
        return floats.device_type == device.type && floats.device_index == device.index ? floats : floats.to(device);
    }

    private static long CountNonFinite(Tensor gradient) => gradient.isfinite().logical_not().sum().item<long>();
}
