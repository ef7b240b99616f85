using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Base of every rule: concurrent, skips generated code, and registers nothing in a compilation that does not
/// reference TorchSharp, so projects without it pay nothing.
/// </summary>
public abstract class GradientGuardAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var torch = TorchSharpSymbols.For(start.Compilation);
            if (torch is not null)
                Register(start, torch);
        });
    }

    internal abstract void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch);
}
