using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RiskyModels;

/// <summary>GG0006: eight weight layers with no normalization and no residual connection.</summary>
public static class DeepPlainNet
{
    public static Sequential Create() => nn.Sequential(
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10));
}
