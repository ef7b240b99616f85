using GradientGuard.Measurement;
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

    // ExactNorms relies on both: the infinity norm is the max-abs in one kernel and is NaN when a value is NaN, and
    // stack promotes float32 and float64 norms to float64.
    [Fact]
    public void The_infinity_norm_is_the_max_abs_and_propagates_NaN_and_stack_promotes_float32_with_float64()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, -3f, 2f });
        Assert.Equal(3f, linalg.vector_norm(x, double.PositiveInfinity).item<float>());
        Assert.Equal(ScalarType.Float32, linalg.vector_norm(x, double.PositiveInfinity).dtype);
        Assert.True(float.IsNaN(linalg.vector_norm(tensor(new[] { 1f, float.NaN, -5f }), double.PositiveInfinity).item<float>()));
        Assert.True(float.IsNaN(linalg.vector_norm(tensor(new[] { float.NaN, float.PositiveInfinity }), double.PositiveInfinity).item<float>()));
        Assert.Equal(0f, linalg.vector_norm(tensor(new[] { 0f, -0f }), double.PositiveInfinity).item<float>());

        // ExactNorms.MaxAbs takes the max-abs from aminmax (the infinity norm is far slower on the CPU): the same values,
        // NaN propagated whatever its position or the other values, -0 read as 0, and every dtype it is given.
        Assert.Equal(3f, ExactNorms.MaxAbs(x).item<float>());
        Assert.Equal(5f, ExactNorms.MaxAbs(tensor(new[] { 1f, -5f, 2f })).item<float>());
        Assert.True(float.IsNaN(ExactNorms.MaxAbs(tensor(new[] { 1f, float.NaN, -5f })).item<float>()));
        Assert.True(float.IsNaN(ExactNorms.MaxAbs(tensor(new[] { float.NaN, float.PositiveInfinity })).item<float>()));
        Assert.True(float.IsNaN(ExactNorms.MaxAbs(tensor(new[] { float.NegativeInfinity, 1f, float.NaN })).item<float>()));
        Assert.Equal(float.PositiveInfinity, ExactNorms.MaxAbs(tensor(new[] { float.NegativeInfinity, 1f })).item<float>());
        Assert.Equal(0f, ExactNorms.MaxAbs(tensor(new[] { 0f, -0f })).item<float>());
        Assert.Equal(1e-300, ExactNorms.MaxAbs(tensor(new[] { 0.0, -1e-300 })).item<double>());
        Assert.Equal(1e-45f, ExactNorms.MaxAbs(tensor(new[] { 1e-45f, 0f })).item<float>());
        Assert.Equal(0f, ExactNorms.MaxAbs(zeros(0)).item<float>());
        Assert.Equal(ScalarType.Float64, ExactNorms.MaxAbs(tensor(new[] { 1.0 })).dtype);
        using (var large = randn(64, 513))
        {
            large[17, 300] = tensor(-1e3f);
            Assert.Equal(linalg.vector_norm(large, double.PositiveInfinity).item<float>(), ExactNorms.MaxAbs(large).item<float>());
        }

        var mixed = stack(new[] { tensor(1e-30f), tensor(1e300) });
        Assert.Equal(ScalarType.Float64, mixed.dtype);
        Assert.Equal(1e300, mixed[1].item<double>());
    }
}
