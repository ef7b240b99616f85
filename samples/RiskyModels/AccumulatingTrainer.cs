using System.Collections.Generic;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0008: gradients are never reset, so each step applies the sum of all gradients so far.</summary>
public static class AccumulatingTrainer
{
    public static void Train(nn.Module<Tensor, Tensor> model, IEnumerable<(Tensor X, Tensor Y)> batches)
    {
        var optimizer = optim.SGD(model.parameters(), learningRate: 0.01);
        foreach (var (x, y) in batches)
        {
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
            optimizer.step();
        }
    }
}
