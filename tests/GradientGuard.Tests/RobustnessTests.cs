using System;
using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class RobustnessTests
{
    [Fact]
    public void Null_model_is_an_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => GradientMonitor.Attach(null!));
    }

    [Fact]
    public void Model_without_parameters_is_a_clear_ArgumentException()
    {
        using var model = nn.Sequential(nn.ReLU(), nn.Tanh());
        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(model));
        Assert.Contains("has no parameters", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(GradientMonitorOptions.CheckEvery))]
    [InlineData(nameof(GradientMonitorOptions.MaxGradientNorm))]
    [InlineData(nameof(GradientMonitorOptions.SuddenJumpFactor))]
    [InlineData(nameof(GradientMonitorOptions.VanishingDepthRatio))]
    [InlineData(nameof(GradientMonitorOptions.VanishingPatience))]
    [InlineData(nameof(GradientMonitorOptions.ClipMaxNorm))]
    [InlineData(nameof(GradientMonitorOptions.WeightNormEvery))]
    public void Invalid_options_name_the_option(string option)
    {
        var options = new GradientMonitorOptions();
        switch (option)
        {
            case nameof(GradientMonitorOptions.CheckEvery): options.CheckEvery = 0; break;
            case nameof(GradientMonitorOptions.MaxGradientNorm): options.MaxGradientNorm = double.NaN; break;
            case nameof(GradientMonitorOptions.SuddenJumpFactor): options.SuddenJumpFactor = 0.5; break;
            case nameof(GradientMonitorOptions.VanishingDepthRatio): options.VanishingDepthRatio = 2; break;
            case nameof(GradientMonitorOptions.VanishingPatience): options.VanishingPatience = 0; break;
            case nameof(GradientMonitorOptions.ClipMaxNorm): options.ClipMaxNorm = -1; break;
            case nameof(GradientMonitorOptions.WeightNormEvery): options.WeightNormEvery = 0; break;
        }
        using var model = nn.Linear(2, 2);

        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(model, options));

        Assert.Equal(option, error.ParamName);
        Assert.Contains("GradientMonitorOptions." + option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_changed_after_attach_do_not_reach_the_monitor()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        var options = new GradientMonitorOptions { ClipMaxNorm = 1e9 };
        using var monitor = model.MonitorGradients(options);
        options.ClipMaxNorm = -1; // would scale every gradient by a negative factor, had it been read
        options.FailFastOn.Add(GradientIssueKind.NonFinite);
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        using (var grad = ((Linear)model[0]).weight.grad!)
            grad[0, 0] = float.NaN;

        var report = monitor.Check(); // no exception: FailFastOn was empty at attach

        Assert.False(report.Clipped);
        Assert.True(report.HasNonFinite);
    }

    [Fact]
    public void Unknown_layer_filter_lists_the_layers_that_exist()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 4, hiddenLayers: 1);
        var options = new GradientMonitorOptions();
        options.Layers.Add("fc9");

        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(model, options));

        Assert.Contains("'fc9'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'0', '2', '4'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layer_filter_watches_only_the_named_layers()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 4, hiddenLayers: 1);
        var options = new GradientMonitorOptions();
        options.Layers.Add("4");
        using var monitor = model.MonitorGradients(options);
        using var x = randn(2, 4);
        model.call(x).sum().backward();

        var report = monitor.Check();

        Assert.Equal(new[] { "4" }, report.Layers.Select(l => l.Name));
        Assert.Equal(new[] { "4" }, monitor.Layers);
    }

    [Fact]
    public void Frozen_parameters_and_parameters_without_gradients_are_left_out()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 2);
        foreach (var p in ((Linear)model[0]).parameters())
            p.requires_grad = false;
        using var monitor = model.MonitorGradients();

        var before = monitor.Check(); // no backward yet: no gradient anywhere
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        var after = monitor.Check();

        Assert.Empty(before.Layers);
        Assert.Equal(0, before.GlobalNorm);
        Assert.Equal(new[] { "2", "4", "6" }, after.Layers.Select(l => l.Name));
        Assert.Equal(GradientIssueKind.NoGradients, Assert.Single(monitor.Diagnostics).Kind); // said of the first check only
    }

    [Fact]
    public void Module_zero_grad_setting_gradients_to_null_is_handled()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        Assert.NotEmpty(monitor.Check().Layers);

        model.zero_grad();

        Assert.All(model.parameters(), p => Assert.Null(p.grad));
        Assert.Empty(monitor.Check().Layers);
    }

    [Fact]
    public void Shared_parameters_are_counted_once_under_their_first_owner()
    {
        var shared = nn.Linear(4, 4);
        using var model = nn.Sequential(("a", shared), ("act", nn.ReLU()), ("b", shared));
        using var monitor = model.MonitorGradients();
        using var x = randn(2, 4);
        model.call(x).sum().backward();

        var layer = Assert.Single(monitor.Check().Layers);

        Assert.Equal("a", layer.Name);
        double expected = Math.Sqrt(shared.parameters().Sum(p => Math.Pow(p.grad!.norm().item<float>(), 2)));
        Assert.Equal(expected, layer.GradientNorm, 4);
    }

    [Fact]
    public void Nested_modules_are_named_as_in_named_modules()
    {
        using var model = new ResidualMlp(inputs: 4, width: 8, depth: 2);
        using var monitor = model.MonitorGradients();
        using var x = randn(2, 4);
        model.call(x).sum().backward();

        var names = monitor.Check().Layers.Select(l => l.Name).ToArray();

        Assert.Equal(new[] { "input", "blocks.0.0", "blocks.0.1", "blocks.0.3", "blocks.1.0", "blocks.1.1", "blocks.1.3", "head" }, names);
        Assert.All(names, n => Assert.Contains(n, model.named_modules().Select(m => m.name)));
    }

    [Fact]
    public void A_model_of_one_layer_and_a_model_of_hundreds_both_work()
    {
        using var single = nn.Linear(3, 1);
        using var singleMonitor = single.MonitorGradients();
        using var deep = nn.Sequential(Enumerable.Range(0, 300).Select(_ => (nn.Module<Tensor, Tensor>)nn.Linear(4, 4)).ToArray());
        using var deepMonitor = deep.MonitorGradients();
        using var x3 = randn(2, 3);
        using var x4 = randn(2, 4);
        single.call(x3).sum().backward();
        deep.call(x4).sum().backward();

        Assert.Equal(LayerGradient.RootName, Assert.Single(singleMonitor.Check().Layers).Name);
        Assert.Equal(300, deepMonitor.Check().Layers.Count);
    }

    [Fact]
    public void Half_precision_gradients_are_measured_in_float32_without_overflow()
    {
        using var model = nn.Linear(256, 256).to(ScalarType.Float16);
        using var monitor = model.MonitorGradients();
        using var x = full(new long[] { 8, 256 }, 100f, ScalarType.Float16);
        model.call(x).sum().backward();

        var layer = Assert.Single(monitor.Check().Layers);

        Assert.True(double.IsFinite(layer.GradientNorm)); // half's max is 65504; the squared sum would overflow in float16
        Assert.True(layer.GradientNorm > 65504);
    }

    [Fact]
    public void Disposed_monitor_removes_its_hooks_and_refuses_further_checks()
    {
        using var model = Models.DeepSigmoidMlp(inputs: 4, width: 4, hiddenLayers: 1);
        var monitor = model.MonitorGradients();
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        var live = monitor.Check();
        Assert.True(live.IsChecked);

        monitor.Dispose();
        var stats = DisposeScopeManager.Statistics;
        long before = stats.ThreadTotalLiveCount;
        model.call(x).Dispose(); // no hook may allocate a reading any more

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Throws<ObjectDisposedException>(() => monitor.Check());
    }

    [Fact]
    public void CheckEvery_skips_the_work_between_checks()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { CheckEvery = 3 });
        using var x = randn(2, 4);
        model.call(x).sum().backward();

        var checkedSteps = Enumerable.Range(0, 7).Select(_ => monitor.Check()).Where(r => r.IsChecked).Select(r => r.Step);

        Assert.Equal(new long[] { 1, 4, 7 }, checkedSteps);
    }

    [Fact]
    public void WeightNormEvery_reuses_weight_norms_between_refreshes_while_gradients_are_measured_each_check()
    {
        torch.manual_seed(51);
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { WeightNormEvery = 3 });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.5);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 4), steps: 4);

        double Weight(int check) => reports[check].Layers[0].WeightNorm;
        double Gradient(int check) => reports[check].Layers[0].GradientNorm;
        Assert.Equal(Weight(0), Weight(1));     // checks 2 and 3 reuse check 1's weight norms...
        Assert.Equal(Weight(0), Weight(2));
        Assert.NotEqual(Weight(0), Weight(3));  // ...check 4 measures the trained weights again
        Assert.NotEqual(Gradient(0), Gradient(1)); // gradients are measured at every check
        double actual = Math.Sqrt(((Linear)model[0]).parameters().Sum(p => Math.Pow(p.norm().item<float>(), 2)));
        Assert.NotEqual(actual, Weight(1), 6);
    }

    [Fact]
    public void A_loss_that_is_not_a_single_value_is_rejected()
    {
        using var model = nn.Linear(2, 2);
        using var monitor = model.MonitorGradients();
        using var loss = ones(3);
        Assert.Throws<ArgumentException>(() => monitor.Check(loss));
    }

    [Fact]
    public void A_check_that_throws_is_not_a_step_and_a_retry_with_the_same_loss_checks_again()
    {
        torch.manual_seed(91);
        using var model = new GrowingMlp(inputs: 4, width: 8);
        using var monitor = model.MonitorGradients();
        using var x = randn(4, 4);
        using (var first = model.call(x).sum())
        {
            first.backward();
            Assert.Equal(1, monitor.Check(first).Step);
        }

        model.AddHead(outputs: 1);
        model.zero_grad();
        using var loss = model.call(x).sum();
        loss.backward();
        model.FailWalks = true; // the rebuild the new head needs fails
        Assert.Throws<InvalidOperationException>(() => monitor.Check(loss));
        Assert.Equal(1, monitor.Step);

        model.FailWalks = false;
        var retried = monitor.Check(loss); // the same loss: this step's check, not the previous step's report

        Assert.Equal(2, retried.Step);
        Assert.Equal(2, monitor.Step);
        Assert.Contains("head", retried.Layers.Select(l => l.Name));
    }
}
