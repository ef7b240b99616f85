using System.Collections.Generic;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0004: the clipping runs after step(), so the exploding update has already been applied.</summary>
public static class LateClipTrainer
{
    public static void Train(nn.Module<Tensor, Tensor> model, IEnumerable<(Tensor X, Tensor Y)> batches)
    {
        var optimizer = optim.Adam(model.parameters());
        foreach (var (x, y) in batches)
        {
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            optimizer.step();
            nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
        }
    }
}
