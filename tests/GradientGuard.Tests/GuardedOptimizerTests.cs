using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class GuardedOptimizerTests
{
    [Fact]
    public void Wrapped_optimizer_gives_bit_identical_weights_to_the_plain_one_when_no_action_fires()
    {
        var plain = Train(wrap: false);
        var wrapped = Train(wrap: true);

        Assert.Equal(plain.Length, wrapped.Length);
        foreach (var (a, b) in plain.Zip(wrapped))
            Assert.True(a.allclose(b, rtol: 0, atol: 0), "weights differ");
    }

    [Fact]
    public void Wrapped_optimizer_checks_at_every_step_and_keeps_lr_schedulers_working()
    {
        torch.manual_seed(31);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1).WithMonitor(monitor);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, step_size: 2, gamma: 0.5);

        for (int i = 0; i < 4; i++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            optimizer.step();
            scheduler.step();
        }

        Assert.Equal(4, monitor.Step);
        Assert.Equal(4, optimizer.LastReport!.Step);
        Assert.Equal(0.025, optimizer.ParamGroups.Single().LearningRate, 10);
        Assert.Equal(0.025, optimizer.Inner.ParamGroups.Single().LearningRate, 10);
        Assert.Equal(model.parameters().Count(), optimizer.parameters().Count());
    }

    [Fact]
    public void Wrapped_optimizer_does_not_step_when_the_skip_action_fires()
    {
        torch.manual_seed(32);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1, momentum: 0.9).WithMonitor(monitor);
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        using var x = randn(4, 8);
        model.call(x).sum().backward();
        using (var grad = ((Linear)model[0]).weight.grad!)
            grad[0, 0] = float.PositiveInfinity;

        optimizer.step();

        Assert.True(optimizer.LastReport!.StepSkipped);
        Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
    }

    [Fact]
    public void Wrapped_optimizer_round_trips_the_inner_state_dict()
    {
        torch.manual_seed(33);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2).WithMonitor(monitor);
        using var x = randn(4, 8);
        model.call(x).sum().backward();
        optimizer.step();

        var state = optimizer.state_dict();
        optimizer.load_state_dict(state);

        Assert.Same(state.GetType(), ((OptimizerHelper)optimizer.Inner).state_dict().GetType());
        Assert.NotEmpty(state.Options);
    }

    [Fact]
    public void Step_with_a_closure_checks_the_gradients_the_closure_computes_and_returns_its_loss_when_skipped()
    {
        torch.manual_seed(34);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2).WithMonitor(monitor);
        using var x = randn(16, 8);
        using var y = randn(16, 1);
        int evaluations = 0;
        bool poison = false;
        Tensor Closure()
        {
            evaluations++;
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (poison)
                ((Linear)model[2]).weight.grad![0, 0] = float.NaN;
            return loss;
        }

        using (var first = optimizer.step(Closure))
            Assert.True(double.IsFinite(first.item<float>()));
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        poison = true;
        using var skipped = optimizer.step(Closure);

        Assert.Equal(2, evaluations);                     // the closure runs once per step: checked, then replayed to the optimizer
        Assert.True(optimizer.LastReport!.StepSkipped);
        Assert.True(double.IsFinite(skipped.item<float>())); // the closure's loss, not null
        Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        Assert.Equal(GradientIssueKind.NonFinite, Assert.Single(monitor.Diagnostics).Kind);
    }

    [Fact]
    public void Lbfgs_steps_through_the_guarded_optimizer_with_its_closure()
    {
        torch.manual_seed(35);
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        using var optimizer = optim.LBFGS(model.parameters(), lr: 0.5).WithMonitor(monitor);
        using var x = randn(32, 4);
        using var y = x.sum(1, keepdim: true);
        Tensor Closure()
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            return loss;
        }

        float first = 0, last = 0;
        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            last = optimizer.step(Closure).item<float>();
            if (step == 0)
                first = last;
        }

        Assert.Equal(5, monitor.Step);
        Assert.True(last < first / 2, $"loss {first} -> {last}");
    }

    [Fact]
    public void A_loop_that_checks_after_step_for_logging_does_not_turn_the_guard_off()
    {
        torch.manual_seed(36);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { SkipNonFiniteSteps = true });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1).WithMonitor(monitor);

        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (step == 2)
                ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
            optimizer.step();
            monitor.Check(loss); // for logging, after the step: it measures the gradients step() already used
        }

        Assert.All(model.parameters(), p => Assert.True(p.isfinite().all().item<bool>(), "the NaN step reached the weights"));
        Assert.Equal(1, monitor.SkippedSteps);
        Assert.Equal(GradientIssueKind.NonFinite, Assert.Single(monitor.Diagnostics).Kind);
    }

    [Fact]
    public void After_a_caught_fail_fast_exception_the_next_step_is_checked_and_taken()
    {
        torch.manual_seed(37);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        var options = new GradientMonitorOptions { SkipNonFiniteSteps = true };
        options.FailFastOn.Add(GradientIssueKind.NonFinite);
        using var monitor = model.MonitorGradients(options);
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1).WithMonitor(monitor);
        int failures = 0;

        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            model.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            if (step == 1)
                ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
            var before = model.parameters().Select(p => p.detach().clone()).ToArray();
            try
            {
                optimizer.step();
            }
            catch (GradientGuardException)
            {
                failures++;
                continue;
            }
            Assert.False(optimizer.LastReport!.StepSkipped, $"step {step + 1} was skipped");
            Assert.Equal(step + 1, optimizer.LastReport.Step);
            Assert.False(model.parameters().Zip(before).All(pair => pair.First.allclose(pair.Second, rtol: 0, atol: 0)), $"step {step + 1} did not change the weights");
        }

        Assert.Equal(1, failures);
        Assert.Equal(3, monitor.Step);
    }

    private static Tensor[] Train(bool wrap)
    {
        torch.manual_seed(30);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 2);
        using var monitor = model.MonitorGradients();
        optim.Optimizer optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        if (wrap)
            optimizer = optimizer.WithMonitor(monitor);
        for (int i = 0; i < 20; i++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (!wrap)
                monitor.Check(loss);
            optimizer.step();
        }
        optimizer.Dispose();
        Assert.Empty(monitor.Diagnostics);
        return model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }
}
