using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests.Support;

/// <summary>A bag-of-words classifier: an embedding whose gradient rows are zero for every token not in the batch.</summary>
internal sealed class BagOfWords : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly Linear hidden;
    private readonly Linear head;

    public BagOfWords(int vocabulary, int dimensions, int classes) : base(nameof(BagOfWords))
    {
        embedding = nn.Embedding(vocabulary, dimensions);
        hidden = nn.Linear(dimensions, dimensions);
        head = nn.Linear(dimensions, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens) => head.call(nn.functional.relu(hidden.call(embedding.call(tokens).mean(new long[] { 1 }))));

    /// <summary>Token batches whose class is whether most tokens come from the lower half of the vocabulary.</summary>
    public static (Tensor X, Tensor Y) Batch(int batchSize, int length, int vocabulary)
    {
        var tokens = randint(0, vocabulary, new long[] { batchSize, length });
        var labels = tokens.lt(vocabulary / 2).sum(1).gt(length / 2).to_type(ScalarType.Int64);
        return (tokens, labels);
    }
}

/// <summary>
/// An MLP with TorchSharp's default init whose forward() applies functional relu, as much real code does: no activation
/// module follows its layers, so the monitor cannot know their activation.
/// </summary>
internal sealed class FunctionalReluMlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers = new();

    public FunctionalReluMlp(int inputs, int width, int hiddenLayers, int outputs) : base(nameof(FunctionalReluMlp))
    {
        long fanIn = inputs;
        for (int i = 0; i <= hiddenLayers; i++)
        {
            layers.Add(nn.Linear(fanIn, width));
            fanIn = width;
        }
        layers.Add(nn.Linear(fanIn, outputs));
        RegisterComponents();
    }

    public IEnumerable<Linear> Layers => layers;

    public override Tensor forward(Tensor x)
    {
        for (int i = 0; i < layers.Count - 1; i++)
            x = nn.functional.relu(layers[i].call(x));
        return layers[^1].call(x);
    }
}
