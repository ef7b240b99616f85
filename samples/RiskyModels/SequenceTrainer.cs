using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>An LSTM regressor.</summary>
public sealed class SequenceModel : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm = nn.LSTM(8, 64, batchFirst: true);
    private readonly Linear head = nn.Linear(64, 1);

    public SequenceModel() : base(nameof(SequenceModel)) => RegisterComponents();

    public override Tensor forward(Tensor x) => head.call(lstm.call(x).Item1.select(1, -1));
}

/// <summary>GG0003 (a warning, since the model is recurrent): the step is not protected by gradient clipping.</summary>
public static class SequenceTrainer
{
    public static void Train(IEnumerable<(Tensor X, Tensor Y)> batches)
    {
        var model = new SequenceModel();
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        foreach (var (x, y) in batches)
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            optimizer.step();
        }
    }
}
