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
/// Dead units counted from the gradients alone: a unit whose weight-gradient row and bias entry are exactly zero at
/// every sampled check of a window. Real training for the failure and its near misses; hand-set gradients for the exact
/// counts over the dtype range.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class DeadUnitsTests
{
    private static GradientMonitorOptions EveryCheck(int window = 10) => new() { DeadUnitsEvery = 1, DeadUnitsWindow = window };

    [Fact]
    public void Relu_mlp_trained_at_a_high_learning_rate_raises_dead_units_naming_layers_numbers_and_fix()
    {
        torch.manual_seed(5);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 3);
        using var monitor = model.MonitorGradients(EveryCheck());
        using var optimizer = optim.Adam(model.parameters(), lr: 0.1);
        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 25);

        var dead = monitor.Diagnostics.First(d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Equal(IssueSeverity.Warning, dead.Severity);
        Assert.True(dead.Value >= 0.5, dead.ToString());
        Assert.NotEmpty(dead.Layers);
        Assert.DoesNotContain("8", dead.Layers); // the output layer is never judged
        Assert.Matches(@"\d+ of 64 units of '\d' \(\d+ %\)", dead.Cause);
        Assert.Contains("LeakyReLU", dead.Advice);
        Assert.Equal(RuleIds.Initialization, dead.RuleId);
    }

    [Fact]
    public void A_minority_of_dead_units_in_a_healthy_relu_net_is_counted_exactly_and_raises_nothing()
    {
        torch.manual_seed(6);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 2);
        KillUnits((Linear)model[2], count: 12); // 19 %: below the Info share
        using var monitor = model.MonitorGradients(EveryCheck(window: 5));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var readings = new List<DeadUnitReading>();
        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 30);
        for (int i = 0; i < 10; i++)
        {
            Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 1);
            readings.AddRange(monitor.LastSnapshot!.DeadUnits);
        }

        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
        var layer2 = readings.Where(r => r.Layer == "2").ToList();
        Assert.NotEmpty(layer2);
        Assert.All(layer2, r => Assert.InRange(r.Dead, 12, 16)); // the 12 killed ones, and at most a few that died on their own
        Assert.DoesNotContain(readings, r => r.Layer == "6"); // the output layer
    }

    // BatchNorm after a Linear with a bias removes that bias: its gradient is zero but for rounding, and exactly zero at
    // some samples (about one in eight here) while the unit lives. A unit counts as dead only when that happens at every
    // sample of its window; even a window of 2, sampled at every check, must find few.
    [Fact]
    public void Units_of_a_linear_layer_with_a_bias_before_batch_norm_are_not_counted_dead()
    {
        torch.manual_seed(9);
        using var model = nn.Sequential(
            nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Linear(64, 1));
        using var monitor = model.MonitorGradients(EveryCheck(window: 2));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var readings = new List<DeadUnitReading>();
        for (int i = 0; i < 60; i++)
        {
            Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 1);
            readings.AddRange(monitor.LastSnapshot!.DeadUnits);
        }

        Assert.True(readings.Count >= 40, $"{readings.Count} readings");
        Assert.All(readings, r => Assert.InRange(r.Dead, 0, 4)); // of 64 units (0-3 here; up to 15 with a window of 1)
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
    }

    [Fact]
    public void Embeddings_the_output_layer_unused_and_frozen_layers_raise_no_dead_units()
    {
        torch.manual_seed(7);
        using var model = new BagOfWordsNet(vocabulary: 500, width: 32, outputs: 4);
        using (no_grad())
            model.Unused.bias!.fill_(-100); // would be all dead, were it judged
        model.Frozen.weight.requires_grad = false;
        model.Frozen.bias!.requires_grad = false;
        using var monitor = model.MonitorGradients(EveryCheck(window: 3));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        for (int step = 0; step < 15; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var tokens = randint(0, 500, new long[] { 16, 5 });
            // Only outputs 0 and 1 are in the loss: the output layer's rows 2 and 3 get exactly zero gradient.
            var loss = model.call(tokens).narrow(1, 0, 2).pow(2).mean();
            loss.backward();
            monitor.Check(loss);
            optimizer.step();
        }

        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Empty(monitor.Diagnostics);
    }

    // A layer with a bias gradient is read from its entries; one without (no bias, or a frozen one) from its weight
    // gradient's rows. Either way a unit is dead exactly when its value is ±0 at every sample: a tiny value, a large one
    // and NaN are all alive, in every dtype.
    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    [InlineData(ScalarType.Float16, true)]
    [InlineData(ScalarType.BFloat16, true)]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float64, false)]
    [InlineData(ScalarType.Float16, false)]
    [InlineData(ScalarType.BFloat16, false)]
    public void Dead_units_are_exactly_the_all_zero_bias_entries_or_rows_over_the_dtype_range_and_NaN_is_alive(ScalarType dtype, bool hasBias)
    {
        torch.manual_seed(8);
        using var model = nn.Sequential(nn.Linear(4, 8, hasBias: hasBias), nn.ReLU(), nn.Linear(8, 1));
        model.to(dtype);
        using var monitor = model.MonitorGradients(EveryCheck(window: 2));
        var hidden = (Linear)model[0];
        var output = (Linear)model[2];
        double tiny = dtype switch { ScalarType.Float64 => 1e-300, ScalarType.Float16 => 6e-8, _ => 1e-38 };
        for (int check = 0; check < 2; check++)
        {
            using var scope = NewDisposeScope();
            hidden.weight.grad = zeros(8, 4, dtype);
            if (hasBias)
                hidden.bias!.grad = zeros(8, dtype);
            output.weight.grad = ones(1, 8, dtype);
            output.bias!.grad = ones(1, dtype);
            // Unit u's value: its bias entry, or one value of its weight row when the layer has no bias.
            void Set(int unit, double value)
            {
                if (hasBias)
                    hidden.bias!.grad![unit] = tensor(value, dtype);
                else
                    hidden.weight.grad![unit, unit % 4] = tensor(value, dtype);
            }
            Set(0, tiny);           // unit 0: alive by one tiny value
            Set(1, -1e4);           // unit 1: alive by a large one
            Set(2, double.NaN);     // unit 2: NaN is not zero
            if (check == 1)
                Set(3, 1.0);        // unit 3: alive at one check of the window
            monitor.Check();
        }

        var reading = Assert.Single(monitor.LastSnapshot!.DeadUnits);
        Assert.Equal(("0", 8L, 4L), (reading.Layer, reading.Units, reading.Dead)); // units 4 to 7
        // Half the layer: a majority at the early-sign line, below the warning's.
        var dead = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Equal((0.5, IssueSeverity.Info), (dead.Value, dead.Severity));
    }

    [Fact]
    public void A_check_where_a_layer_is_unused_does_not_count_toward_its_window()
    {
        torch.manual_seed(9);
        using var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
        using var monitor = model.MonitorGradients(EveryCheck(window: 2));
        var hidden = (Linear)model[0];
        var output = (Linear)model[2];
        using (NewDisposeScope())
        {
            output.weight.grad = ones(1, 8);
            output.bias!.grad = ones(1);
            hidden.weight.grad = zeros(8, 4);
            hidden.bias!.grad = zeros(8);
        }
        for (int i = 0; i < 5; i++)
            monitor.Check(); // the whole layer is zero: unused, not dead
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);

        using (NewDisposeScope())
            hidden.bias!.grad![0] = 1; // in use again: unit 0 alive, the other seven dead
        monitor.Check();
        monitor.Check();
        var dead = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Equal(7.0 / 8, dead.Value);
        Assert.Equal(new[] { "0" }, dead.Layers);
    }

    [Fact]
    public void A_layer_whose_every_unit_died_is_told_from_an_unused_one_by_the_zero_input_of_the_next_layer()
    {
        torch.manual_seed(10);
        using var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 1));
        using var monitor = model.MonitorGradients(EveryCheck(window: 2));
        using (NewDisposeScope())
        {
            // Layer 2 outputs zero for every input: its own gradient and layer 0's are all zero, and the output layer
            // gets a gradient on its bias only, since its input is zero.
            ((Linear)model[0]).weight.grad = zeros(8, 4);
            ((Linear)model[0]).bias!.grad = zeros(8);
            ((Linear)model[2]).weight.grad = zeros(6, 8);
            ((Linear)model[2]).bias!.grad = zeros(6);
            ((Linear)model[4]).weight.grad = zeros(1, 6);
            ((Linear)model[4]).bias!.grad = ones(1);
        }
        monitor.Check();
        monitor.Check();

        var dead = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Equal(new[] { "2" }, dead.Layers); // layer 0 gets no gradient through it: unknown, not reported
        Assert.Equal(1.0, dead.Value);
        Assert.Contains("the layers before it get no gradient at all", dead.Cause);
    }

    [Fact]
    public void A_relu_stack_that_died_whole_under_adam_at_a_high_learning_rate_is_reported_with_the_defaults()
    {
        torch.manual_seed(1);
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 8; i++)
        {
            var linear = nn.Linear(i == 0 ? 16 : 32, 32);
            nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(linear);
            layers.Add(nn.ReLU());
        }
        layers.Add(nn.Linear(32, 1));
        using var model = nn.Sequential(layers);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.1);
        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 16), steps: 50);

        Assert.Equal(0, reports[^1].Layers[0].GradientNorm); // the whole stack gets no gradient any more
        var dead = monitor.Diagnostics.First(d => d.Kind == GradientIssueKind.DeadUnits);
        Assert.Equal(IssueSeverity.Warning, dead.Severity);
        Assert.Equal(GradientIssueKind.DeadUnits, monitor.Diagnostics.First(d => d.Kind != GradientIssueKind.Vanishing).Kind);
    }

    private static void KillUnits(Linear layer, int count)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        layer.bias!.narrow(0, 0, count).fill_(-1e3); // no input reaches above this: their ReLU outputs zero for good
        layer.weight.narrow(0, 0, count).mul_(1e-3);
    }

    /// <summary>Token embeddings averaged, a ReLU hidden layer, a head; plus a layer never used and a frozen one.</summary>
    private sealed class BagOfWordsNet : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embedding;
        private readonly Linear frozen;
        private readonly Linear hidden;
        private readonly Linear unused;
        private readonly Linear head;

        public BagOfWordsNet(int vocabulary, int width, int outputs) : base(nameof(BagOfWordsNet))
        {
            embedding = nn.Embedding(vocabulary, width);
            frozen = nn.Linear(width, width);
            hidden = nn.Linear(width, width);
            unused = nn.Linear(width, width);
            head = nn.Linear(width, outputs);
            using (no_grad())
                frozen.bias!.fill_(-100); // all its units dead, but frozen: no gradient, no judgement
            RegisterComponents();
        }

        public Linear Unused => unused;

        public Linear Frozen => frozen;

        public override Tensor forward(Tensor tokens)
        {
            var bag = embedding.call(tokens).mean(new long[] { 1 });
            var h = nn.functional.relu(hidden.call(bag)).add(nn.functional.relu(frozen.call(bag)));
            var zero = unused.call(h).mul(0).sum(); // in the graph, so its gradient exists, and exactly zero
            return head.call(h).add(zero);
        }
    }
}
