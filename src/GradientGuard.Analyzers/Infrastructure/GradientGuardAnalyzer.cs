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
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode);
        context.RegisterCompilationStartAction(start =>
        {
            try
            {
                var torch = TorchSharpSymbols.For(start.Compilation);
                if (torch is not null)
                    Register(start, torch);
            }
            finally
            {
                LastFileCaches.Forget(); // a rule's registration may ask about every file (SourceMentions.InAny)
            }
        });
    }

    /// <summary>
    /// Not Analyze: no callback on generated code. ReportDiagnostics: the driver does not test each diagnostic for
    /// generated code, a walk over every token of the diagnostic's file (a tenth of the rules' time in a one-thread
    /// profile of real code): a rule reports in the body, class or file it was called on, which is not generated. A
    /// rule that places its diagnostics elsewhere says None.
    /// </summary>
    private protected virtual GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.ReportDiagnostics;

    internal abstract void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch);
}
