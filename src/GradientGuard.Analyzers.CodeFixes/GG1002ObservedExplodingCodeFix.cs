using System.Composition;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>GG1002: exploding gradients observed in training; offers GG0003's clip before the step.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG1002ObservedExplodingCodeFix)), Shared]
public sealed class GG1002ObservedExplodingCodeFix : ObservedCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG1002ObservedExplodingCodeFix()
        : base(RuleIds.ObservedExploding, new GG0003AddGradientClippingCodeFix())
    {
    }
}
