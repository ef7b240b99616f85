using System.Linq;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>When the model's parameter set changes, the detectors judge new and replaced layers afresh and keep what they know of the rest.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ViewRebuildTests
{
    [Fact]
    public void A_hidden_layer_replaced_mid_run_with_a_tiny_init_is_judged_fresh_as_poor_initialization()
    {
        torch.manual_seed(131);
        using var model = Models.ReluMlp(inputs: 16, width: 64, hiddenLayers: 3);
        using var monitor = model.MonitorGradients();
        using (var first = optim.Adam(model.parameters(), lr: 1e-3))
            Training.Run(model, monitor, first, _ => Training.Regression(64, 16), steps: 5);
        Assert.DoesNotContain(monitor.Diagnostics, d => d.Kind == GradientIssueKind.PoorInitialization);

        // A new layer under the old name: RMS·sqrt(fan_in) 0.008, far below the 0.58-1.41 a ReLU layer needs.
        ((Linear)model[2]).weight = new Parameter(randn(64, 64).mul(1e-3));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        Training.Run(model, monitor, optimizer, _ => Training.Regression(64, 16), steps: 3);

        var poor = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.PoorInitialization);
        Assert.Equal(new[] { "2" }, poor.Layers);
        Assert.Equal(6, poor.Step);
    }

    [Fact]
    public void A_badly_initialized_adapter_added_late_is_poor_initialization_and_the_old_layers_are_not_judged_again()
    {
        torch.manual_seed(132);
        using var model = new AdaptedMlp(inputs: 8, width: 32);
        using var monitor = model.MonitorGradients();
        using (var first = optim.Adam(model.parameters(), lr: 1e-3))
            Training.Run(model, monitor, first, _ => Training.Regression(32, 8), steps: 5);
        // The body is badly initialized too, but after the start: it was judged (and passed) on its start weights only.
        using (no_grad())
            model.Body.weight.mul_(1e-3);

        model.AddAdapter(initScale: 1e-3);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        Training.Run(model, monitor, optimizer, _ => Training.Regression(32, 8), steps: 3);

        var poor = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.PoorInitialization);
        Assert.Equal(new[] { "adapter.0" }, poor.Layers);
        Assert.Equal(6, poor.Step);
    }

    private sealed class AdaptedMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear body;
        private readonly ReLU act = nn.ReLU();
        private readonly Linear head;
        private Sequential? adapter;

        public AdaptedMlp(int inputs, int width) : base(nameof(AdaptedMlp))
        {
            body = nn.Linear(inputs, width);
            head = nn.Linear(width, 1);
            RegisterComponents();
        }

        public Linear Body => body;

        /// <summary>A residual adapter (Linear, ReLU, Linear) between body and head, its first layer at <paramref name="initScale"/> of TorchSharp's default.</summary>
        public void AddAdapter(double initScale)
        {
            long width = body.out_features;
            var down = nn.Linear(width, width);
            using (no_grad())
                down.weight.mul_(initScale);
            adapter = nn.Sequential(down, nn.ReLU(), nn.Linear(width, width));
            register_module("adapter", adapter);
        }

        public override Tensor forward(Tensor x)
        {
            var h = act.call(body.call(x));
            if (adapter is not null)
                h = h + adapter.call(h);
            return head.call(h);
        }
    }
}
