namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Diagnostic categories.</summary>
internal static class Categories
{
    public const string Architecture = "GradientGuard.Architecture";
    public const string Initialization = "GradientGuard.Initialization";
    public const string Optimization = "GradientGuard.Optimization";
    public const string Numerics = "GradientGuard.Numerics";
    public const string Observed = "GradientGuard.Observed";
    public const string Configuration = "GradientGuard.Configuration";
}
