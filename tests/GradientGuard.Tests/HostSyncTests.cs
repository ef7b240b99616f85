using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Measurement;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// One host synchronization per check in the steady state, also for layers whose gradient is exactly zero at every
/// step, without ever reading a tiny gradient as zero. Synchronizations are counted where the monitor copies from the
/// device to the host (<c>HostReader</c>, the only such copy of a check).
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class HostSyncTests
{
    [Fact]
    public void A_head_left_out_of_the_loss_costs_one_host_synchronization_per_check_in_the_steady_state()
    {
        torch.manual_seed(71);
        using var model = new TwoHeadMlp(inputs: 8, width: 16, zeroInitAux: false);
        using var monitor = model.MonitorGradients(); // WeightNormEvery 100: checks 101, 201 and 301 measure weights too
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        // Phase 1: both heads train. Phase 2 (300 checks): the aux head is not in the loss; TorchSharp's zero_grad()
        // keeps its gradients as tensors of exact zeros, so they are measured at every check.
        var syncs = new List<long>();
        var reports = new List<GradientReport>();
        for (int step = 0; step < 305; step++)
        {
            bool auxInLoss = step < 5;
            long before = monitor.HostSynchronizations;
            reports.Add(Step(model, monitor, optimizer, auxWeight: auxInLoss ? 1 : (double?)null));
            syncs.Add(monitor.HostSynchronizations - before);
        }

        for (int step = 5; step < 305; step++)
            Assert.Equal(0, reports[step].Layers.Single(l => l.Name == "aux").GradientNorm);
        // The first check that sees the exact zeros proves them so (a second synchronization, once); every later check
        // takes one synchronization, weight-norm refreshes included.
        Assert.All(syncs.Take(5), s => Assert.Equal(1, s));
        Assert.Equal(2, syncs[5]);
        var steady = syncs.Skip(6).ToList();
        Assert.True(steady.All(s => s == 1), $"host synchronizations per steady-state check: {string.Join(",", steady.Distinct())} (check {6 + steady.FindIndex(s => s != 1) + 1} first)");
        Assert.Empty(monitor.Diagnostics);

        // Phase 3: the aux head is back in the loss and is measured with its true norm at once.
        var back = Step(model, monitor, optimizer, auxWeight: 1);
        double trueNorm = TrueNorm(model.Aux);
        Assert.True(trueNorm > 0);
        Assert.Equal(trueNorm, back.Layers.Single(l => l.Name == "aux").GradientNorm, trueNorm * 1e-5);
    }

    [Fact]
    public void An_unused_zero_initialized_branch_with_WeightNormEvery_1_costs_one_host_synchronization_per_check()
    {
        torch.manual_seed(72);
        using var model = new TwoHeadMlp(inputs: 8, width: 16, zeroInitAux: true);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 1 });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        // A loss weight of 0 for the aux head (a schedule that has not switched it on yet): its gradients are exact
        // zeros, so its zero-initialized weights stay zero, and both are measured at every check.
        var syncs = new List<long>();
        GradientReport? last = null;
        for (int step = 0; step < 120; step++)
        {
            long before = monitor.HostSynchronizations;
            last = Step(model, monitor, optimizer, auxWeight: 0);
            syncs.Add(monitor.HostSynchronizations - before);
        }

        var aux = last!.Layers.Single(l => l.Name == "aux");
        Assert.Equal(0, aux.GradientNorm);
        Assert.Equal(0, aux.WeightNorm);
        Assert.Equal(2, syncs[0]); // the zero-initialized weights and the zero gradients, proven zero once
        Assert.All(syncs.Skip(1), s => Assert.Equal(1, s));
    }

    [Fact]
    public void A_layer_whose_exactly_zero_gradient_turns_tiny_is_measured_at_that_check_and_vanishes_after_VanishingPatience_checks()
    {
        // The bound: a layer proven exactly zero is still measured exactly at every check (its max-abs is read in the
        // check's one synchronization), so the first check at which its gradient is tiny but present reports the true
        // norm, and the vanishing diagnostic comes at the VanishingPatience-th such check, as for any other layer.
        // 150 zero checks first: longer than any re-verification window of 100 checks would be.
        const int zeroSteps = 150, tinySteps = 10;
        torch.manual_seed(73);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        var options = new GradientMonitorOptions();
        using var monitor = model.MonitorGradients(options);
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-3);
        var trueNorms = new double[zeroSteps + tinySteps];
        var syncs = new List<long>();

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: zeroSteps + tinySteps, afterBackward: step =>
        {
            foreach (var p in ((Linear)model[0]).parameters())
            {
                using var g = p.grad!;
                if (step < zeroSteps)
                    g.zero_();                   // unused: exactly zero
                else
                    g.mul_(1e-26f);              // present, but its squares underflow float32
            }
            trueNorms[step] = TrueNorm((Linear)model[0]);
            syncs.Add(monitor.HostSynchronizations);
        });

        for (int step = 0; step < zeroSteps; step++)
            Assert.Equal(0, reports[step].Layers.Single(l => l.Name == "0").GradientNorm);
        var firstTiny = reports[zeroSteps].Layers.Single(l => l.Name == "0");
        Assert.True(firstTiny.GradientNorm > 0, "a tiny gradient after exact zeros was read as zero");
        for (int step = zeroSteps; step < zeroSteps + tinySteps; step++)
        {
            var layer = reports[step].Layers.Single(l => l.Name == "0");
            Assert.Equal(trueNorms[step], layer.GradientNorm, trueNorms[step] * 1e-5);
        }
        var vanishing = Assert.Single(monitor.Diagnostics);
        Assert.Equal(GradientIssueKind.Vanishing, vanishing.Kind);
        Assert.Contains("0", vanishing.Layers);
        Assert.Equal(zeroSteps + options.VanishingPatience, vanishing.Step); // steps count from 1
        // While the layer was exactly zero, one synchronization per check after the first.
        var perCheck = syncs.Zip(syncs.Skip(1), (a, b) => b - a).Take(zeroSteps - 1).ToList();
        Assert.All(perCheck.Skip(1), s => Assert.Equal(1, s));
    }

    [Fact]
    public void A_proven_zero_gradient_that_turns_non_finite_extreme_or_tiny_is_measured_exactly_at_that_check()
    {
        torch.manual_seed(74);
        using var model = nn.Sequential(("0", nn.Linear(6, 6)), ("1", nn.ReLU()), ("2", nn.Linear(6, 1)));
        using var monitor = model.MonitorGradients();
        using var x = randn(8, 6);
        model.call(x).pow(2).sum().backward();
        var weight = ((Linear)model[0]).weight;
        var bias = ((Linear)model[0]).bias!;
        using (var b = bias.grad!)
            b.zero_();

        // Each value is preceded by two checks of exact zeros: the first proves them, the second relies on it.
        (string What, Action<Tensor> Set, double Norm, long NonFinite)[] cases =
        {
            ("NaN", g => g[0, 0] = float.NaN, double.NaN, 1),
            ("Infinity", g => g[1, 1] = float.PositiveInfinity, double.PositiveInfinity, 1),
            ("1e20 (squares overflow)", g => g.fill_(1e20f), 6e20, 0),
            ("1e-30 (squares underflow)", g => g.fill_(1e-30f), 6e-30, 0),
            ("-0 and 0", g => g[2, 2] = -0f, 0, 0),
        };
        foreach (var (what, set, norm, nonFinite) in cases)
        {
            for (int i = 0; i < 2; i++)
            {
                using (var g = weight.grad!)
                    g.zero_();
                long before = monitor.HostSynchronizations;
                Assert.Equal(0, monitor.Check().Layers.Single(l => l.Name == "0").GradientNorm);
                if (i == 1)
                    Assert.Equal(1, monitor.HostSynchronizations - before);
            }
            using (var g = weight.grad!)
                set(g);

            var layer = monitor.Check().Layers.Single(l => l.Name == "0");

            Assert.True(nonFinite == layer.NonFiniteCount, $"{what}: {layer.NonFiniteCount} non-finite values");
            if (double.IsFinite(norm) && norm != 0)
                Assert.True(Math.Abs(layer.GradientNorm - norm) <= norm * 1e-5, $"{what}: norm {layer.GradientNorm}, expected {norm}");
            else
                Assert.True(norm.Equals(layer.GradientNorm), $"{what}: norm {layer.GradientNorm}, expected {norm}");
        }
    }

    [Fact]
    public void A_head_trained_on_alternate_batches_costs_one_host_synchronization_per_check_until_it_stays_non_zero_for_ForgetAfter_checks()
    {
        torch.manual_seed(75);
        using var model = new TwoHeadMlp(inputs: 8, width: 16, zeroInitAux: false);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);
        // Steps 0-19: the aux head is in the loss on even steps only. Steps 20-27 (ForgetAfter checks): in the loss at
        // each. From step 28 on: out of the loss.
        const int alternating = 20;
        bool AuxInLoss(int step) => step < alternating ? step % 2 == 0 : step < alternating + ProvenZeros.ForgetAfter;
        int steps = alternating + ProvenZeros.ForgetAfter + 2;

        var syncs = new List<long>();
        var reports = new List<GradientReport>();
        for (int step = 0; step < steps; step++)
        {
            long before = monitor.HostSynchronizations;
            reports.Add(Step(model, monitor, optimizer, auxWeight: AuxInLoss(step) ? 1 : (double?)null));
            syncs.Add(monitor.HostSynchronizations - before);
        }

        for (int step = 0; step < steps; step++)
            Assert.Equal(AuxInLoss(step), reports[step].Layers.Single(l => l.Name == "aux").GradientNorm > 0);
        // A second synchronization at the first zero check (step 1) and at the first zero check after ForgetAfter
        // non-zero ones (step 28), when the head is no longer remembered; one at every other check.
        var expected = Enumerable.Range(0, steps).Select(step => step == 1 || step == alternating + ProvenZeros.ForgetAfter ? 2L : 1L);
        Assert.Equal(expected, syncs);
        Assert.Empty(monitor.Diagnostics);
    }

    /// <summary>One training step with the aux head's loss weighted by <paramref name="auxWeight"/> (null: not in the loss).</summary>
    private static GradientReport Step(TwoHeadMlp model, GradientMonitor monitor, optim.Optimizer optimizer, double? auxWeight)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Training.Regression(32, 8);
        optimizer.zero_grad();
        var (main, aux) = model.Both(x);
        var loss = nn.functional.mse_loss(main, y);
        if (auxWeight is double w)
            loss = loss + nn.functional.mse_loss(aux, y).mul(w);
        loss.backward();
        var report = monitor.Check(loss);
        optimizer.step();
        return report;
    }

    // The L2 norm of a module's gradients in float64 through a max-abs scaling of our own, outside the monitor.
    private static double TrueNorm(nn.Module module)
    {
        using var scope = NewDisposeScope();
        var norms = module.parameters().Select(p =>
        {
            var g = p.grad!.to_type(ScalarType.Float64);
            double max = g.abs().max().item<double>();
            return max == 0 ? 0 : max * g.div(max).pow(2).sum().sqrt().item<double>();
        }).ToList();
        double largest = norms.Max();
        return largest == 0 ? 0 : largest * Math.Sqrt(norms.Sum(n => (n / largest) * (n / largest)));
    }

    /// <summary>A trunk with a main head and an auxiliary head that training may leave out of the loss.</summary>
    private sealed class TwoHeadMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear trunk;
        private readonly Linear head;
        private readonly Linear aux;

        public TwoHeadMlp(int inputs, int width, bool zeroInitAux) : base(nameof(TwoHeadMlp))
        {
            trunk = nn.Linear(inputs, width);
            head = nn.Linear(width, 1);
            aux = nn.Linear(width, 1);
            if (zeroInitAux)
            {
                using var noGrad = no_grad();
                nn.init.zeros_(aux.weight);
                nn.init.zeros_(aux.bias!);
            }
            RegisterComponents();
        }

        public Linear Aux => aux;

        public (Tensor Main, Tensor Aux) Both(Tensor x)
        {
            var h = nn.functional.relu(trunk.call(x));
            return (head.call(h), aux.call(h));
        }

        public override Tensor forward(Tensor x) => Both(x).Main;
    }
}
