using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Infrastructure.Observed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG1003: training under the monitor saw NaN or Infinity in the gradients or the loss. Reported on the training step
/// that ran the check (with GG0003's clipping fix; gone once the step is clipped), else on the layer or model class.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG1003ObservedNonFiniteAnalyzer : ObservedGradientAnalyzer
{
    internal static readonly DiagnosticDescriptor Descriptor = RuleDescriptors.Create(
        RuleIds.ObservedNonFinite,
        title: "Non-finite gradients observed in training",
        messageFormat: "Training observed NaN/Infinity" + MessageTail,
        Categories.Observed,
        RuleLevel.BuildWarning,
        description: "The GradientGuard monitor measured NaN or Infinity in the gradients or the loss while this model trained; one step with them poisons the weights.");

    internal override string Kind => "NonFinite";

    internal override DiagnosticDescriptor Rule => Descriptor;

    internal override CountOption MaxAgeDays => RuleOptions.ObservedNonFiniteMaxAge;
}
