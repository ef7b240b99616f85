using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// A false alarm is a bug as much as a miss. A zoo of healthy models, one of each kind the issue names (a loss that
/// converges to ~0, frozen layers and fine-tuning, dropout, BatchNorm, residual nets, Adam with warm-up, embeddings,
/// ReLU nets with their normal minority of dead units, learning-rate schedules, Tanh nets, a Sigmoid output before
/// BCELoss, default init with functional relu, LSTMs), each trained long enough that every window of every detector is
/// armed, raises no diagnostic of any kind with the default options.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class HealthyTrainingTests
{
    // Every detector judges within this many checks with the default options: the stalled loss needs a whole stall
    // window of losses; the others need less.
    private static readonly int ArmedAfter = ChecksUntilEveryDetectorIsArmed(new GradientMonitorOptions());

    private static readonly int Steps = ArmedAfter + 20;

    [Fact]
    public void Relu_mlp_with_he_init_raises_nothing()
    {
        torch.manual_seed(11);
        using var model = Models.ReluMlp(inputs: 32, width: 48, hiddenLayers: 4);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 32), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Small_cnn_with_batchnorm_whose_loss_converges_to_zero_raises_nothing()
    {
        torch.manual_seed(12);
        using var model = Models.SmallCnn();
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.05, momentum: 0.9);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Quadrants(16), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.True(reports.TakeLast(20).Median() < 1e-3 * reports[0].Loss, "the loss converges to ~0, where its relative noise is large");
    }

    [Fact]
    public void Regression_fitted_almost_exactly_raises_nothing()
    {
        torch.manual_seed(21);
        using var model = Models.ReluMlp(inputs: 8, width: 64, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 3e-3);
        using var weights = randn(8, 1).DetachFromDisposeScope();

        var reports = Training.Run(model, monitor, optimizer, _ =>
        {
            var x = randn(64, 8);
            return (x, x.matmul(weights).div(Math.Sqrt(8)));
        }, Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.True(reports.TakeLast(20).Median() < 1e-2 * reports[0].Loss, $"loss {reports[0].Loss} -> {reports[^1].Loss}");
    }

    [Fact]
    public void Residual_net_raises_nothing()
    {
        torch.manual_seed(13);
        using var model = new ResidualMlp(inputs: 16, width: 32, depth: 3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 16), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Lstm_with_clipping_raises_nothing()
    {
        torch.manual_seed(14);
        using var model = new SequenceRegressor(inputs: 4, hidden: 16, plainRnn: false);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 5e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Sequences(16, 10, 4), Steps,
            afterBackward: _ => nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0));

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Dropout_mlp_with_default_init_raises_nothing()
    {
        torch.manual_seed(15);
        using var model = nn.Sequential(
            nn.Linear(32, 64), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(64, 1));
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 32), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Adam_with_linear_warmup_raises_nothing()
    {
        torch.manual_seed(16);
        using var model = Models.ReluMlp(inputs: 32, width: 32, hiddenLayers: 3);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 3e-3);

        // The learning rate climbs from almost nothing over the first 100 steps: the loss barely moves at first.
        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 32), Steps,
            afterBackward: step => SetLearningRate(optimizer, 3e-3 * Math.Min(1.0, (step + 1) / 100.0)));

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Sgd_with_a_step_schedule_that_plateaus_and_drops_raises_nothing()
    {
        torch.manual_seed(17);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        // 0.05 with momentum 0.9 kills a whole hidden layer of this net within 50 steps (DeadUnits rightly says so).
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.02, momentum: 0.9);

        // A plateau at the high rate after real progress, then a tenfold drop late in the run.
        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 16), Steps,
            afterBackward: step => SetLearningRate(optimizer, step < Steps * 3 / 4 ? 0.02 : 0.002));

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Fine_tuning_a_head_with_the_rest_frozen_raises_nothing()
    {
        torch.manual_seed(18);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 4);
        using (var pretraining = optim.Adam(model.parameters(), lr: 1e-3))
        {
            for (int step = 0; step < 50; step++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = Training.Regression(32, 16);
                pretraining.zero_grad();
                nn.functional.mse_loss(model.call(x), y).backward();
                pretraining.step();
            }
        }
        model.zero_grad(); // the pretrained model is loaded without gradients
        var head = (Linear)model[model.Count - 1];
        foreach (var parameter in model.parameters())
            parameter.requires_grad = false;
        foreach (var parameter in head.parameters())
            parameter.requires_grad = true;
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(head.parameters(), lr: 1e-2);

        // A new task on the same features: the frozen layers have no gradient, only the head learns.
        var reports = Training.Run(model, monitor, optimizer, _ =>
        {
            var (x, y) = Training.Regression(32, 16);
            return (x, y.add(2));
        }, Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.All(reports, r => Assert.Single(r.Layers));
    }

    [Fact]
    public void Embedding_bag_of_words_raises_nothing()
    {
        torch.manual_seed(19);
        using var model = new BagOfWords(vocabulary: 1000, dimensions: 32, classes: 2);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);

        var reports = Training.Run(model, monitor, optimizer, _ => BagOfWords.Batch(32, 16, 1000), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
    }

    [Fact]
    public void Tanh_mlp_with_xavier_init_raises_nothing()
    {
        torch.manual_seed(20);
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long fanIn = 16;
        for (int i = 0; i < 4; i++)
        {
            var linear = nn.Linear(fanIn, 32);
            using (no_grad())
                nn.init.xavier_uniform_(linear.weight, gain: 5.0 / 3);
            layers.Add(linear);
            layers.Add(nn.Tanh());
            fanIn = 32;
        }
        layers.Add(nn.Linear(fanIn, 1));
        using var model = nn.Sequential(layers);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 16), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.Equal(4, monitor.ProbedActivations);
    }

    [Fact]
    public void Sigmoid_output_before_bce_that_saturates_confidently_raises_nothing()
    {
        torch.manual_seed(22);
        using var model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid());
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);

        var reports = Training.Run(model, monitor, optimizer, _ =>
        {
            var x = randn(64, 8);
            return (x, x.sum(1, keepdim: true).gt(0).to_type(ScalarType.Float32));
        }, Steps, lossFunction: (output, target) => nn.functional.binary_cross_entropy(output, target));

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.Contains(monitor.LastSnapshot!.Activations, a => a.Name == "3" && a.SaturatedFraction > 0.5); // the output is saturated, as it should be
    }

    [Fact]
    public void Default_init_with_functional_relu_raises_nothing()
    {
        torch.manual_seed(23);
        using var model = new FunctionalReluMlp(inputs: 32, width: 32, hiddenLayers: 3, outputs: 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 32), Steps);

        AssertLearnedWithoutAlarm(monitor, reports);
        Assert.Equal(0, monitor.ProbedActivations);
    }

    private static int ChecksUntilEveryDetectorIsArmed(GradientMonitorOptions o) => new[]
    {
        Math.Max(o.LossStartChecks, o.LossStallWindow),
        Math.Max(o.LossStartChecks, o.LossOscillationWindow),
        o.SaturationWindow * o.ProbeEvery,
        o.WarmupChecks + o.ExplodingPatience,
        o.VanishingPatience,
    }.Max();

    private static void SetLearningRate(optim.Optimizer optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = rate;
    }

    // Real training (the median loss at least halves), every detector armed, and not a single diagnostic.
    private static void AssertLearnedWithoutAlarm(GradientMonitor monitor, List<GradientReport> reports)
    {
        Assert.True(monitor.Diagnostics.Count == 0, string.Join(Environment.NewLine, monitor.Diagnostics));
        Assert.True(reports.Count(r => r.IsChecked && r.Loss is not null) >= ArmedAfter + 20, "too short to arm every detector");
        double first = reports.Take(10).Median(), last = reports.TakeLast(10).Median();
        Assert.True(last < first / 2, $"loss {first} -> {last}");
    }
}

internal static class ReportMedians
{
    public static double Median(this IEnumerable<GradientReport> reports)
    {
        var losses = reports.Select(r => r.Loss!.Value).OrderBy(l => l).ToArray();
        return losses[losses.Length / 2];
    }
}
