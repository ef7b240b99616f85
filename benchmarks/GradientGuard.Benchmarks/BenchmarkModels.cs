using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Benchmarks;

/// <summary>The realistic CPU models the runtime benchmark trains, with a batch of synthetic data each.</summary>
internal static class BenchmarkModels
{
    public static (nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y) Create(string name)
    {
        torch.manual_seed(1);
        return name switch
        {
            // ~2.5 M parameters: 784-512x9-10, batch 128.
            "mlp" => (Mlp(), randn(128, 784), randint(0, 10, new long[] { 128 })),
            "cnn" => (Cnn(), randn(64, 1, 28, 28), randint(0, 10, new long[] { 64 })),
            "lstm" => (new LstmClassifier(), randn(32, 50, 32), randint(0, 10, new long[] { 32 })),
            _ => throw new ArgumentException($"Unknown model '{name}'.", nameof(name)),
        };
    }

    private static Sequential Mlp()
    {
        var layers = new System.Collections.Generic.List<nn.Module<Tensor, Tensor>> { nn.Linear(784, 512), nn.ReLU() };
        for (int i = 0; i < 8; i++)
        {
            layers.Add(nn.Linear(512, 512));
            layers.Add(nn.ReLU());
        }
        layers.Add(nn.Linear(512, 10));
        return nn.Sequential(layers);
    }

    private static Sequential Cnn() => nn.Sequential(
        nn.Conv2d(1, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10));

    private sealed class LstmClassifier : nn.Module<Tensor, Tensor>
    {
        private readonly LSTM lstm = nn.LSTM(32, 128, numLayers: 2, batchFirst: true);
        private readonly Linear head = nn.Linear(128, 10);

        public LstmClassifier() : base(nameof(LstmClassifier)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(lstm.call(x).Item1.select(1, -1));
    }
}
