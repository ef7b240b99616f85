using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Probing;
using GradientGuard.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class ActivationProbeTests
{
    // The probe reads a strided sample of large outputs: the shares it reports must still be the whole output's.
    [Theory]
    [InlineData(1_000, 0.25)]      // small: read whole
    [InlineData(2_000_000, 0.25)]  // large: sampled
    [InlineData(2_000_000, 0.9)]
    public void Saturated_share_of_a_large_output_is_estimated_from_a_sample_within_a_percent(int elements, double saturatedShare)
    {
        // Sorted inputs, the saturated ones all first (|tanh| > 0.98 below -atanh(0.98)): a sample of the head alone would
        // read them all saturated.
        double edge = Math.Atanh(0.98);
        using var input = linspace(-edge - 4 * saturatedShare, -edge + 4 * (1 - saturatedShare), elements);
        using var model = nn.Sequential(("act", nn.Tanh()));
        using var probe = new ActivationProbe(model);

        using (NewDisposeScope())
            model.call(input);

        var (saturated, derivative) = Interpret(Assert.Single(probe.ReadForCheck()));
        using var y = input.tanh().to_type(ScalarType.Float64);
        double expectedDerivative = y.mul(y).neg().add(1).mean().item<double>();
        Assert.InRange(saturated, saturatedShare - 0.01, saturatedShare + 0.01);
        Assert.InRange(derivative, expectedDerivative - 0.01, expectedDerivative + 0.01);
    }

    // A check's readings must survive a forward pass (on another thread, in training) that replaces and disposes the
    // probe's own reading while the check is still reading it.
    [Fact]
    public void Readings_handed_to_a_check_stay_valid_when_a_forward_pass_replaces_them()
    {
        using var model = nn.Sequential(("act", nn.Tanh()));
        using var probe = new ActivationProbe(model);
        using var input = linspace(-2 * Math.Atanh(0.98), 2 * Math.Atanh(0.98), 100); // the outer halves saturated
        using (NewDisposeScope())
            model.call(input);

        using var scope = NewDisposeScope();
        var sample = Assert.Single(probe.ReadForCheck());
        using (NewDisposeScope())
            model.call(input); // replaces the probe's reading, disposing the old one

        Assert.False(sample.Values.IsInvalid);
        Assert.InRange(Interpret(sample).Saturated, 0.48, 0.52);
    }

    // The readings are raw sums that the check divides out on the host: Sigmoid and Tanh readings give the shares of
    // saturated units and the mean derivatives computed from the whole output directly.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sigmoid_and_tanh_readings_give_the_saturated_share_and_the_mean_derivative(bool sigmoid)
    {
        using var scope = NewDisposeScope();
        var input = linspace(-6, 6, 1000);
        using var model = nn.Sequential(("act", sigmoid ? nn.Sigmoid() : nn.Tanh()));
        using var probe = new ActivationProbe(model);
        using (NewDisposeScope())
            model.call(input);

        var (saturated, derivative) = Interpret(Assert.Single(probe.ReadForCheck()));

        var y = (sigmoid ? input.sigmoid() : input.tanh()).to_type(ScalarType.Float64);
        double expectedSaturated = sigmoid ? y.lt(0.02).logical_or(y.gt(0.98)).to_type(ScalarType.Float64).mean().item<double>()
            : y.abs().gt(0.98).to_type(ScalarType.Float64).mean().item<double>();
        double expectedDerivative = (sigmoid ? y.mul(y.neg().add(1)) : y.mul(y).neg().add(1)).mean().item<double>();
        Assert.Equal(expectedSaturated, saturated, 1e-9);
        Assert.Equal(expectedDerivative, derivative, 1e-5);
        Assert.InRange(saturated, 0.2, 0.8); // the range reaches into both tails
    }

    private static (double Saturated, double Derivative) Interpret(ProbeSample sample) =>
        sample.Interpret(sample.Values.reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray());

    // The hooks record the forward passes before the first check and before every ProbeEvery-th one after it, and
    // nothing in between: a reading costs tensor work on every forward pass it is taken in.
    [Fact]
    public void The_hooks_record_only_the_steps_before_a_sampled_check()
    {
        torch.manual_seed(5);
        using var model = nn.Sequential(("fc", nn.Linear(4, 8)), ("act", nn.Tanh()), ("out", nn.Linear(8, 1)));
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { ProbeEvery = 3 });
        using var x = randn(16, 4);
        var recorded = new List<int>();
        var fresh = new List<int>();
        for (int step = 1; step <= 10; step++)
        {
            using var scope = NewDisposeScope();
            long before = ActivationProbe.Recordings;
            model.zero_grad();
            model.call(x).sum().backward();
            if (ActivationProbe.Recordings > before)
                recorded.Add(step);
            monitor.Check();
            if (monitor.LastSnapshot!.Activations.Any(a => a.Fresh))
                fresh.Add(step);
            Assert.Equal("act", Assert.Single(monitor.LastSnapshot.Activations).Name); // the last sample describes the steps between
        }

        Assert.Equal(new[] { 1, 4, 7, 10 }, recorded);
        Assert.Equal(recorded, fresh);
    }

    // One vocabulary: the probe and the model traits classify modules through ActivationKinds, whose ReLU family is the
    // analyzers' twelve (it was ReLU, ReLU6 and LeakyReLU only in the probe). The probe hooks only the saturating kinds:
    // no detector reads a ReLU-family output, and each hooked module costs a callback at every forward pass.
    [Fact]
    public void The_probe_and_the_model_traits_share_one_classifier_and_the_probe_hooks_only_sigmoid_and_tanh()
    {
        using var model = nn.Sequential(
            ("fc1", nn.Linear(4, 4)), ("gelu", nn.GELU()), ("fc2", nn.Linear(4, 4)), ("silu", nn.SiLU()),
            ("fc3", nn.Linear(4, 4)), ("elu", nn.ELU()), ("fc4", nn.Linear(4, 4)), ("tanh", nn.Tanh()), ("out", nn.Linear(4, 1)), ("sigmoid", nn.Sigmoid()));

        var sites = ActivationProbe.FindSites(model);
        var traits = GradientGuard.Detection.ModelTraits.Read(model);

        Assert.Equal(new ActivationKind?[] { ActivationKind.Rectifier, ActivationKind.Rectifier, ActivationKind.Rectifier, ActivationKind.Tanh, ActivationKind.Sigmoid },
            new[] { "gelu", "silu", "elu", "tanh", "sigmoid" }.Select(n => ActivationKinds.Of(model.named_modules().Single(m => m.name == n).module)));
        Assert.Equal(new[] { "tanh", "sigmoid" }, sites.Select(s => s.Name));
        Assert.Equal(new[] { ActivationKind.Tanh, ActivationKind.Sigmoid }, sites.Select(s => s.Kind));
        Assert.Equal(new[] { "tanh", "sigmoid" }, traits.SaturatingActivations);
    }
}
