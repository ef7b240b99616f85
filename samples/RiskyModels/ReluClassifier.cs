using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0002: Xavier init before ReLU halves the signal variance at every layer.</summary>
public static class ReluClassifier
{
    public static Sequential Create()
    {
        var fc1 = nn.Linear(784, 256);
        nn.init.xavier_uniform_(fc1.weight);
        var fc2 = nn.Linear(256, 10);
        return nn.Sequential(fc1, nn.ReLU(), fc2);
    }
}
