using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0009: layers in a List are skipped by RegisterComponents(), so the optimizer never sees them.</summary>
public sealed class ListHeldLayers : nn.Module<Tensor, Tensor>
{
    private readonly List<Linear> layers = new List<Linear>();

    public ListHeldLayers() : base(nameof(ListHeldLayers))
    {
        for (int i = 0; i < 3; i++)
            layers.Add(nn.Linear(32, 32));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in layers)
            x = layer.call(x).relu();
        return x;
    }
}
