using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.RealCode;

/// <summary>
/// The cheapest useful analyzer: one callback per invocation that does nothing. Its cost is the floor any
/// operation-based rule pays on the same code, printed beside GradientGuard's so the share has a scale.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ReferenceAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("REF0001", "Never reported", "Never reported", "Reference", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
    }
}
