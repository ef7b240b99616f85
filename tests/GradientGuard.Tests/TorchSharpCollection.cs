namespace GradientGuard.Tests;

/// <summary>TorchSharp's seed and dispose-scope statistics are process- or thread-wide: these tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchSharpCollection
{
    public const string Name = "TorchSharp";
}
