using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Baseline: asks for every operation block and does nothing. It runs first, so the construction of the operation trees
/// (paid once by any operation-based analyzer in a build, the SDK's own CA rules included) is charged to it, not to the
/// GradientGuard rules measured after it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class EmptyOperationAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("BENCH0001", "never reported", "never reported", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(_ => { });
        context.RegisterOperationAction(_ => { }, OperationKind.Invocation, OperationKind.Loop, OperationKind.Invalid);
    }
}
