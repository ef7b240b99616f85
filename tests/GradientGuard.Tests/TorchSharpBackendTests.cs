using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>Proves the CPU backend loads and trains here (the libstdc++ patch in build/ is what makes it load on Debian 12).</summary>
public sealed class TorchSharpBackendTests
{
    [Fact]
    public void A_real_forward_backward_step_reduces_the_loss()
    {
        torch.manual_seed(7);
        using var model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1));
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.05);
        using var x = randn(64, 4);
        using var y = x.sum(1, keepdim: true);

        float firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 50; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            float value = loss.item<float>();
            if (step == 0) firstLoss = value;
            lastLoss = value;
        }

        Assert.True(lastLoss < firstLoss / 4, $"loss went from {firstLoss} to {lastLoss}");
    }
}
