using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0005: a plain RNN over long sequences; its gradient is multiplied by the same matrix at every step.</summary>
public sealed class PlainRnnModel : nn.Module<Tensor, Tensor>
{
    private readonly RNN rnn = nn.RNN(8, 64, batchFirst: true);
    private readonly Linear head = nn.Linear(64, 1);

    public PlainRnnModel() : base(nameof(PlainRnnModel)) => RegisterComponents();

    public override Tensor forward(Tensor x) => head.call(rnn.call(x).Item1.select(1, -1));
}
