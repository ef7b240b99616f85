using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Infrastructure.Observed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG1002: training under the monitor saw the gradients explode. Reported on the training step that ran the check (with
/// GG0003's clipping fix; gone once the step is clipped), else on the layer or model class the finding names.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG1002ObservedExplodingAnalyzer : ObservedGradientAnalyzer
{
    internal static readonly DiagnosticDescriptor Descriptor = RuleDescriptors.Create(
        RuleIds.ObservedExploding,
        title: "Exploding gradients observed in training",
        messageFormat: "Training observed exploding gradients" + MessageTail,
        Categories.Observed,
        RuleLevel.BuildWarning,
        description: "The GradientGuard monitor measured the gradients growing far beyond their usual size while this model trained: steps overshoot and the loss diverges.");

    internal override string Kind => "Exploding";

    internal override DiagnosticDescriptor Rule => Descriptor;

    internal override CountOption MaxAgeDays => RuleOptions.ObservedExplodingMaxAge;
}
