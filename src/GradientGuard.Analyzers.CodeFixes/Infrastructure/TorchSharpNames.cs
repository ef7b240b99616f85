namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>Fully qualified TorchSharp names that fixes emit; the simplifier shortens them to the file's import style.</summary>
internal static class TorchSharpNames
{
    public const string Nn = "global::TorchSharp.torch.nn";
}
