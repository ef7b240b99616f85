using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradientGuard.Tests.Support;

/// <summary>Runs a real training loop on synthetic data with a monitor checking every step.</summary>
internal static class Training
{
    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="steps"/> steps on batches from <paramref name="batch"/> with MSE
    /// (or cross-entropy when the targets are int64, or <paramref name="lossFunction"/>), calling <see cref="GradientMonitor.Check"/> between backward and step.
    /// Returns every report. <paramref name="afterBackward"/> runs before the check (to clip, or to inject trouble).
    /// </summary>
    public static List<GradientReport> Run(
        nn.Module<Tensor, Tensor> model,
        GradientMonitor monitor,
        optim.Optimizer optimizer,
        Func<int, (Tensor X, Tensor Y)> batch,
        int steps,
        Action<int>? afterBackward = null,
        Func<Tensor, Tensor, Tensor>? lossFunction = null)
    {
        var reports = new List<GradientReport>(steps);
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch(step);
            optimizer.zero_grad();
            var output = model.call(x);
            var loss = lossFunction is not null ? lossFunction(output, y)
                : y.dtype == ScalarType.Int64 ? nn.functional.cross_entropy(output, y) : nn.functional.mse_loss(output, y);
            loss.backward();
            afterBackward?.Invoke(step);
            var report = monitor.Check(loss);
            reports.Add(report);
            if (!report.StepSkipped)
                optimizer.step();
        }
        return reports;
    }

    /// <summary>A smooth regression target: y = sum(sin(x)) / sqrt(features).</summary>
    public static (Tensor X, Tensor Y) Regression(int batchSize, int features)
    {
        var x = randn(batchSize, features);
        return (x, x.sin().sum(1, keepdim: true).div(Math.Sqrt(features)));
    }

    /// <summary>Images whose class is the quadrant with the brightest blob.</summary>
    public static (Tensor X, Tensor Y) Quadrants(int batchSize)
    {
        var y = randint(0, 4, new long[] { batchSize });
        var x = randn(batchSize, 1, 16, 16).mul(0.3);
        var labels = y.data<long>().ToArray();
        for (int i = 0; i < batchSize; i++)
        {
            long row = labels[i] / 2 * 8, col = labels[i] % 2 * 8;
            x[i, 0, TensorIndex.Slice(row, row + 8), TensorIndex.Slice(col, col + 8)].add_(1.0);
        }
        return (x, y);
    }

    /// <summary>Sequences whose target is the mean of the first feature over time.</summary>
    public static (Tensor X, Tensor Y) Sequences(int batchSize, int length, int features)
    {
        var x = randn(batchSize, length, features);
        return (x, x.select(2, 0).mean(new long[] { 1 }, keepdim: true));
    }
}
