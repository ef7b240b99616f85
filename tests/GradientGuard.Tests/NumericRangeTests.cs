using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>Norms and the loss must be right over the whole range of their dtype: huge finite values are not Infinity, tiny ones are not zero.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class NumericRangeTests
{
    [Fact]
    public void A_finite_float32_gradient_near_1e20_is_exploding_with_its_true_norm_not_non_finite()
    {
        torch.manual_seed(61);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        var options = new GradientMonitorOptions();
        options.FailFastOn.Add(GradientIssueKind.Exploding);
        options.FailFastOn.Add(GradientIssueKind.NonFinite);
        using var monitor = model.MonitorGradients(options);
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);

        var error = Assert.Throws<GradientGuardException>(() =>
            Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 20, afterBackward: step =>
            {
                if (step == 12)
                    Gradient(model, 2).mul_(1e20f); // values around 1e19-1e20: finite, but their squares overflow float32
            }));

        double trueNorm = TrueGlobalNorm(model);
        Assert.InRange(trueNorm, 1e18, 1e22);
        Assert.Equal(GradientIssueKind.Exploding, error.Diagnostic.Kind);
        Assert.Equal(13, error.Diagnostic.Step);
        Assert.Equal(trueNorm, error.Diagnostic.Value, trueNorm * 1e-5);
        Assert.Contains(trueNorm.ToString("G3", CultureInfo.InvariantCulture), error.Diagnostic.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.NonFinite);
    }

    [Fact]
    public void Skip_action_keeps_a_finite_step_whose_squares_overflow_float32()
    {
        torch.manual_seed(62);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-30);
        double trueNorm = double.NaN;

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 3, afterBackward: step =>
        {
            if (step == 1)
            {
                Gradient(model, 0).mul_(1e20f);
                trueNorm = TrueGlobalNorm(model);
            }
        });

        Assert.False(reports[1].StepSkipped);
        Assert.False(reports[1].HasNonFinite);
        Assert.Equal(0, monitor.SkippedSteps);
        Assert.Equal(trueNorm, reports[1].GlobalNorm, trueNorm * 1e-5);
        Assert.Equal(0, reports[1].Layers.Single(l => l.Name == "0").NonFiniteCount);
    }

    [Fact]
    public void Clip_action_brings_a_norm_that_overflows_clip_grad_norm_down_to_the_bound()
    {
        torch.manual_seed(63);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var reference = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var x = randn(32, 8);
        model.call(x).pow(2).sum().backward();
        reference.call(x).pow(2).sum().backward();
        using (var g = Gradient(model, 2))
            g.mul_(1e20f);
        using (var g = Gradient(reference, 2))
            g.mul_(1e20f);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ClipMaxNorm = 1.0 });

        var report = monitor.Check();

        // torch's own norm overflows float32 here: it returns Infinity and cannot clip to the bound.
        Assert.True(double.IsInfinity(nn.utils.clip_grad_norm_(reference.parameters(), max_norm: 1.0)));
        Assert.True(report.Clipped);
        Assert.True(double.IsFinite(report.GlobalNorm));
        Assert.Equal(1.0, TrueGlobalNorm(model), 1e-5);
    }

    [Fact]
    public void Float64_gradients_and_loss_of_1e39_are_finite_and_reported_exactly_in_the_report_and_the_log()
    {
        torch.manual_seed(64);
        string path = Path.Combine(Path.GetTempPath(), $"gg-{Guid.NewGuid():N}.jsonl");
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2).to(ScalarType.Float64);
        GradientReport report;
        double lossValue;
        using (var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path }))
        {
            using var x = randn(32, 8, dtype: ScalarType.Float64);
            using var loss = model.call(x).pow(2).mean().mul(1e39);
            loss.backward();
            lossValue = loss.item<double>();

            report = monitor.Check(loss);
        }

        double trueNorm = TrueGlobalNorm(model);
        Assert.Equal(lossValue, report.Loss);                  // not rounded to float32, not Infinity
        Assert.False(report.HasNonFinite);
        Assert.Equal(trueNorm, report.GlobalNorm, trueNorm * 1e-9);
        var diagnostic = Assert.Single(report.Diagnostics);
        Assert.Equal(GradientIssueKind.Exploding, diagnostic.Kind);
        var check = JsonDocument.Parse(File.ReadLines(path).First()).RootElement;
        Assert.Equal(lossValue, check.GetProperty("loss").GetDouble());
        Assert.Equal(report.GlobalNorm, check.GetProperty("globalNorm").GetDouble());
        File.Delete(path);
    }

    [Fact]
    public void A_float64_loss_is_not_rounded_to_float32()
    {
        using var model = nn.Linear(3, 1).to(ScalarType.Float64);
        using var monitor = model.MonitorGradients();
        using var x = ones(4, 3, dtype: ScalarType.Float64);
        using var loss = model.call(x).sum().mul(0).add(1.0 / 3);
        loss.backward();

        var report = monitor.Check(loss);

        Assert.Equal(1.0 / 3, report.Loss);
    }

    [Fact]
    public void Tiny_float32_gradients_are_measured_and_vanish_while_an_unused_layer_reads_exactly_zero()
    {
        torch.manual_seed(65);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);
        var trueNorms = new double[12];

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 12, afterBackward: step =>
        {
            foreach (var p in ((Linear)model[0]).parameters())
            {
                using var g = p.grad!;
                g.mul_(1e-26f);                   // present but underflowing when squared in float32
            }
            foreach (var p in ((Linear)model[2]).parameters())
            {
                using var g = p.grad!;
                g.zero_();                         // as if the layer were unused this step
            }
            trueNorms[step] = TrueLayerNorm((Linear)model[0]);
        });

        for (int step = 0; step < 12; step++)
        {
            var first = reports[step].Layers.Single(l => l.Name == "0");
            Assert.True(first.GradientNorm > 0, $"step {step + 1}: tiny gradient read as zero");
            Assert.Equal(trueNorms[step], first.GradientNorm, trueNorms[step] * 1e-5);
            Assert.Equal(0, reports[step].Layers.Single(l => l.Name == "2").GradientNorm);
        }
        var vanishing = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.Vanishing, vanishing.Kind);
        Assert.Contains("0", vanishing.Layers);
        Assert.DoesNotContain("2", vanishing.Layers); // exactly zero: unused, not vanishing
        Assert.True(vanishing.Value < 1e-20, $"depth ratio {vanishing.Value}");
    }

    [Fact]
    public void Tiny_float64_gradients_are_measured_in_float64()
    {
        torch.manual_seed(66);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1).to(ScalarType.Float64);
        using var monitor = model.MonitorGradients();
        using var x = randn(16, 8, dtype: ScalarType.Float64);
        model.call(x).pow(2).sum().backward();
        foreach (var p in model.parameters())
        {
            using var g = p.grad!;
            g.mul_(1e-30);
        }

        var report = monitor.Check();

        Assert.All(report.Layers, layer => Assert.True(layer.GradientNorm > 0, layer.Name));
        double trueNorm = TrueGlobalNorm(model);
        Assert.Equal(trueNorm, report.GlobalNorm, trueNorm * 1e-9);
    }

    [Fact]
    public void Float64_gradients_near_the_top_of_the_float64_range_have_a_finite_exact_norm()
    {
        using var model = nn.Linear(64, 64).to(ScalarType.Float64);
        using var monitor = model.MonitorGradients();
        using var x = randn(8, 64, dtype: ScalarType.Float64);
        model.call(x).sum().backward();
        double largest;
        using (var g = model.weight.grad!)
        {
            g.div_(g.abs().max()).mul_(1e300); // squares far beyond float64
            largest = g.abs().max().item<double>();
        }

        var layer = Assert.Single(monitor.Check().Layers);

        Assert.True(double.IsFinite(layer.GradientNorm));
        Assert.True(layer.GradientNorm >= largest);
        Assert.Equal(0, layer.NonFiniteCount);
    }

    // A new wrapper of the weight's gradient: callers dispose it, or run inside a dispose scope.
    private static Tensor Gradient(Sequential model, int index) => ((Linear)model[index]).weight.grad!;

    // Reference norms in float64 through a max-abs scaling of our own, outside the monitor.
    private static double TrueLayerNorm(nn.Module module) => Combine(module.parameters().Where(p => p.grad is not null).Select(p => TrueNorm(p.grad!)));

    private static double TrueGlobalNorm(nn.Module model) => TrueLayerNorm(model);

    private static double TrueNorm(Tensor gradient)
    {
        using var scope = NewDisposeScope();
        var g = gradient.to_type(ScalarType.Float64);
        double max = g.abs().max().item<double>();
        return max == 0 ? 0 : max * g.div(max).pow(2).sum().sqrt().item<double>();
    }

    private static double Combine(System.Collections.Generic.IEnumerable<double> norms)
    {
        var list = norms.ToList();
        double max = list.Count == 0 ? 0 : list.Max();
        return max == 0 ? 0 : max * Math.Sqrt(list.Sum(n => (n / max) * (n / max)));
    }
}
