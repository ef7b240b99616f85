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

    // ExactNorms takes each direct norm as the square root of a dot product of the flattened tensor with itself (BLAS
    // on the CPU, faster than vector_norm). It must behave as the norm kernel did: NaN anywhere gives NaN, an infinite
    // value or squares past the dtype's range give +Infinity, tiny squares underflow (the rescue's cue), an empty tensor
    // gives 0, and float64 stays float64. Large tensors put the special value inside the BLAS kernel's vectorized body.
    [Fact]
    public void The_sum_of_squares_kernel_propagates_NaN_and_Infinity_overflows_and_underflows_like_the_norm()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(14f, ExactNorms.SumOfSquares(tensor(new[] { 1f, -2f, 3f })).item<float>());
        Assert.Equal(ScalarType.Float32, ExactNorms.SumOfSquares(tensor(new[] { 1f })).dtype);
        Assert.Equal(ScalarType.Float64, ExactNorms.SumOfSquares(tensor(new[] { 1.0 })).dtype);
        Assert.Equal(0f, ExactNorms.SumOfSquares(zeros(0)).item<float>());
        Assert.Equal(0f, ExactNorms.SumOfSquares(tensor(new[] { 0f, -0f })).item<float>());
        Assert.Equal(4f, ExactNorms.SumOfSquares(tensor(2f)).item<float>()); // a 0-dim tensor
        Assert.Equal(float.PositiveInfinity, ExactNorms.SumOfSquares(tensor(new[] { 1e20f, 1f })).item<float>());
        Assert.Equal(0f, ExactNorms.SumOfSquares(tensor(new[] { 1e-24f, -1e-24f })).item<float>());
        Assert.Equal(2e-48, ExactNorms.SumOfSquares(tensor(new[] { 1e-24, -1e-24 })).item<double>(), 1e-60);
        foreach (long position in new long[] { 0, 7, 16, 1000, 4095 })
        {
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
            {
                var x = randn(64, 64, dtype: dtype);
                x.view(-1)[position] = tensor(double.NaN, dtype: dtype);
                Assert.True(double.IsNaN(ExactNorms.SumOfSquares(x).to_type(ScalarType.Float64).item<double>()), $"NaN at {position}, {dtype}");
                x.view(-1)[position] = tensor(double.NegativeInfinity, dtype: dtype);
                Assert.Equal(double.PositiveInfinity, ExactNorms.SumOfSquares(x).to_type(ScalarType.Float64).item<double>());
                x.view(-1)[(position + 1) % 4096] = tensor(double.PositiveInfinity, dtype: dtype);
                Assert.Equal(double.PositiveInfinity, ExactNorms.SumOfSquares(x).to_type(ScalarType.Float64).item<double>());
                x.view(-1)[(position + 2) % 4096] = tensor(double.NaN, dtype: dtype);
                Assert.True(double.IsNaN(ExactNorms.SumOfSquares(x).to_type(ScalarType.Float64).item<double>()));
            }
        }
        // Not contiguous (a transposed view): the same sum.
        var matrix = randn(33, 17);
        Assert.Equal(matrix.square().sum().item<float>(), ExactNorms.SumOfSquares(matrix.t()).item<float>(), 1e-3f);
    }
}
