using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Infrastructure.Observed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG1001: training under the monitor saw the gradients vanish in this model (the findings file says where). Reported on
/// the first vanished layer's declaration, else the model class; offers GG0001's fix when the cause is a Sigmoid/Tanh
/// stack (and goes away once it is gone), and goes away once the layers are initialized when the cause was the init.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG1001ObservedVanishingAnalyzer : ObservedGradientAnalyzer
{
    internal static readonly DiagnosticDescriptor Descriptor = RuleDescriptors.Create(
        RuleIds.ObservedVanishing,
        title: "Vanishing gradients observed in training",
        messageFormat: "Training observed vanishing gradients" + MessageTail,
        Categories.Observed,
        RuleLevel.BuildWarning,
        description: "The GradientGuard monitor measured the gradients vanishing toward the input while this model trained; the layers it names stop learning.");

    internal override string Kind => "Vanishing";

    internal override DiagnosticDescriptor Rule => Descriptor;

    internal override CountOption MaxAgeDays => RuleOptions.ObservedVanishingMaxAge;
}
