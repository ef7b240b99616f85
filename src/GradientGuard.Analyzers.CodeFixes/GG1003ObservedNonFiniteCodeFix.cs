using System.Composition;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>GG1003: NaN/Infinity observed in training; offers GG0003's clip before the step.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG1003ObservedNonFiniteCodeFix)), Shared]
public sealed class GG1003ObservedNonFiniteCodeFix : ObservedCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG1003ObservedNonFiniteCodeFix()
        : base(RuleIds.ObservedNonFinite, new GG0003AddGradientClippingCodeFix())
    {
    }
}
