using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0001: four hidden Sigmoid layers. The gradient reaching fc1 is at most 0.25^4 of the output's.</summary>
public static class SigmoidClassifier
{
    public static Sequential Create() => nn.Sequential(
        ("fc1", nn.Linear(784, 256)), ("act1", nn.Sigmoid()),
        ("fc2", nn.Linear(256, 256)), ("act2", nn.Sigmoid()),
        ("fc3", nn.Linear(256, 256)), ("act3", nn.Sigmoid()),
        ("fc4", nn.Linear(256, 256)), ("act4", nn.Sigmoid()),
        ("out", nn.Linear(256, 10)));
}
