using TorchSharp;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0007: sigmoid then binary cross-entropy: log(0) = -Infinity once the logits grow.</summary>
public static class UnstableLoss
{
    public static Tensor Compute(Tensor logits, Tensor targets) =>
        nn.functional.binary_cross_entropy(torch.sigmoid(logits), targets);
}
