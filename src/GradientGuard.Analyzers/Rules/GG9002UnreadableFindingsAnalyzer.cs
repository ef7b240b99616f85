using System.Collections.Immutable;
using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Infrastructure.Observed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG9002: the findings file (gradientguard.findings.json among the additional files) cannot be read: not JSON, not a
/// GradientGuard findings file, a version this analyzer does not know, or findings it had to skip. One diagnostic on the
/// file says why; the observed rules use what could be read, and nothing else.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG9002UnreadableFindingsAnalyzer : GradientGuardAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.UnreadableFindings,
        title: "GradientGuard findings file that cannot be read",
        messageFormat: "The findings file '{0}' was not used: {1}",
        Categories.Configuration,
        RuleLevel.BuildWarning,
        description: "The observed rules (GG1001-GG1003) read what training under the monitor saw from this file; docs/findings.md describes its format.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        if (FindingsFileReader.Find(context.Options) is not { } file)
            return;
        var read = FindingsFileReader.Read(file, context.CancellationToken);
        if (read.Problem is not { } problem)
            return;
        context.RegisterAdditionalFileAction(fileContext =>
        {
            if (fileContext.AdditionalFile.Path == file.Path)
                fileContext.ReportDiagnostic(Diagnostic.Create(Rule, FindingsFileReader.LocationOf(file), FindingsFileReader.NameOf(file), problem));
        });
    }
}
