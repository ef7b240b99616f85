using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GradientGuard.Analyzers.Tests.Verifiers;

/// <summary>What test sources compile against: .NET 8 and the real TorchSharp assembly (metadata only, nothing native loads).</summary>
internal static class TestReferences
{
    public static ReferenceAssemblies Net80 { get; } = ReferenceAssemblies.Net.Net80;

    public static MetadataReference TorchSharp { get; } = MetadataReference.CreateFromFile(typeof(global::TorchSharp.torch).Assembly.Location);
}
