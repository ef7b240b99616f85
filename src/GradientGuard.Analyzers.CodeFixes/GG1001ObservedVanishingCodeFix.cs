using System.Composition;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>GG1001: vanishing observed in training; offers GG0001's activation replacement (a Sigmoid/Tanh stack) or GG0002's init (the default init).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG1001ObservedVanishingCodeFix)), Shared]
public sealed class GG1001ObservedVanishingCodeFix : ObservedCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG1001ObservedVanishingCodeFix()
        : base(RuleIds.ObservedVanishing, new GG0001ReplaceSaturatingActivationsCodeFix(), new GG0002SuitInitializationCodeFix())
    {
    }
}
