using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0004: clip_grad_norm_/clip_grad_value_ after step() (the gradients were already applied) or before backward() (it
/// clips stale or zeroed gradients), in the order the calls run in one body; or with a bound that is not a positive
/// finite number. The step the clip belongs before is an additional location, where the fix moves it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0004MisplacedClippingAnalyzer : GradientGuardAnalyzer
{
    internal static readonly DiagnosticDescriptor Misplaced = RuleDescriptors.Create(
        RuleIds.MisplacedClipping,
        title: "Gradient clipping in the wrong place or with a useless bound",
        messageFormat: "'{0}' runs {1}; clip between backward() and step()",
        Categories.Optimization,
        RuleLevel.BuildWarning,
        description: "Clipping only protects the update when it rescales the gradients that step() is about to apply.");

    internal static readonly DiagnosticDescriptor UselessBound = RuleDescriptors.Create(
        RuleIds.MisplacedClipping,
        title: "Gradient clipping in the wrong place or with a useless bound",
        messageFormat: "'{0}' with the bound {1} {2}",
        Categories.Optimization,
        RuleLevel.BuildWarning,
        description: "A clipping bound must be a positive finite number.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Misplaced, UselessBound);

    // The rule judges direct clip calls only.
    private static readonly SourceMentions Clipping = SourceMentions.AnyOf("clip_grad_"); // clip_grad_norm_ or clip_grad_value_, in one search

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var events = TrainingStepEvents.For(torch);
        if (!Clipping.InAny(context.Compilation))
            return; // no file clips: not one callback per method
        // Read per file, like the other training-step rules (FileBodies): one callback per file, not one per body.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            if (!Clipping.In(file.SemanticModel.SyntaxTree))
                return;
            foreach (var body in FileBodies.Read(file.SemanticModel, file.FilterSpan, Clipping.In, file.CancellationToken))
            {
                var calls = OperationIndex.Invocations(body.Operation)
                    .Select(i => (Call: i, Kind: events.Classify(i)))
                    .Where(c => c.Kind is not null && c.Kind != TrainingEventKind.ZeroGrad)
                    .Select(c => (c.Call, Kind: c.Kind!.Value))
                    .OrderBy(c => c.Call.Syntax.SpanStart)
                    .ToList();
                for (int i = 0; i < calls.Count; i++)
                {
                    if (calls[i].Kind == TrainingEventKind.Clip)
                        Check(file.ReportDiagnostic, calls, i);
                }
            }
        });
    }

    private static void Check(Action<Diagnostic> report, List<(IInvocationOperation Call, TrainingEventKind Kind)> calls, int index)
    {
        var clip = calls[index].Call;
        string name = clip.TargetMethod.Name;
        if (BoundProblem(clip) is { } bound)
        {
            report(Diagnostic.Create(UselessBound, clip.Syntax.GetLocation(), name, bound.Value, bound.Why));
            return;
        }

        switch (ClipPlacement.Misplaced(calls, index, c => c.Kind))
        {
            case (Misplacement.AfterStep, int step):
                report(Diagnostic.Create(Misplaced, clip.Syntax.GetLocation(), new[] { calls[step].Call.Syntax.GetLocation() }, name, "after step(), on gradients that were already applied"));
                break;
            case (Misplacement.BeforeBackward, int step):
                var additional = step < 0 ? Enumerable.Empty<Location>() : new[] { calls[step].Call.Syntax.GetLocation() };
                report(Diagnostic.Create(Misplaced, clip.Syntax.GetLocation(), additional, name, "before backward(), on stale or zeroed gradients"));
                break;
        }
    }

    // max_norm / clip_value that is a constant and not a positive finite number.
    private static (string Value, string Why)? BoundProblem(IInvocationOperation clip)
    {
        var bound = clip.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value.WithoutConversions();
        if (bound?.ConstantValue is not { HasValue: true, Value: var value } || value is null or string)
            return null;
        double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        string text = number.ToString(CultureInfo.InvariantCulture);
        if (double.IsNaN(number))
            return (text, "compares false with every norm, so nothing is ever clipped and NaN spreads into the gradients");
        if (double.IsInfinity(number))
            return (text, "never clips anything: the call costs a norm computation and protects nothing");
        if (number <= 0)
            return (text, "scales every gradient to zero (or flips its sign): no step will learn anything; use a positive bound such as 1.0");
        return null;
    }
}
