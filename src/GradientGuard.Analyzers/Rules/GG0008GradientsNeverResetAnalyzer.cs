using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0008: a loop that calls backward() and Optimizer.step() (directly or through helpers of the same file) but never
/// zero_grad(), on the optimizer or the module. backward() adds into .grad, so every step applies the sum of all
/// gradients so far. zero_grad anywhere in the loop counts, including a "step every k batches" branch.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0008GradientsNeverResetAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: the optimizer expression whose zero_grad() the fix inserts.</summary>
    public const string OptimizerProperty = "Optimizer";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.GradientsNeverReset,
        title: "Gradients never reset",
        messageFormat: "The loop calls backward() and '{0}' but never zero_grad(): gradients accumulate across iterations and every step applies their growing sum",
        Categories.Optimization,
        RuleLevel.BuildWarning,
        description: "backward() adds into each parameter's .grad; without zero_grad() the update of step n is the sum of n gradients.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var events = TrainingStepEvents.For(torch);
        if (!TrainingStepEvents.MayHoldTrainingStep(context.Compilation))
            return; // no file has a training step: not one callback per loop
        // Read per file, after the driver has bound its bodies (FileBodies): the helpers a loop calls are summarized
        // from their operation trees, which an operation action would often have to bind first.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            if (!TrainingStepEvents.MayHoldTrainingStep(file.SemanticModel.SyntaxTree))
                return;
            // A loop's calls, read once: an epoch loop asks for its batch loop's calls, and the batch loop is checked too.
            var read = new Dictionary<ILoopOperation, List<(IInvocationOperation Call, TrainingEventKind Kind)>>();
            List<(IInvocationOperation Call, TrainingEventKind Kind)> CallsOf(ILoopOperation loop) =>
                read.TryGetValue(loop, out var calls) ? calls : read[loop] = Calls(loop, events);
            // Only a loop that can reach both a backward and a step (itself, or through helpers of its file) is walked,
            // in a body that can.
            foreach (var body in FileBodies.Read(file.SemanticModel, file.FilterSpan, MayReachBoth, file.CancellationToken))
            {
                foreach (var loop in OperationIndex.Descendants(body.Operation).Where(o => o.Kind == OperationKind.Loop).Cast<ILoopOperation>())
                {
                    if (MayReachBoth(loop.Syntax))
                        Check(loop, CallsOf, events, file.ReportDiagnostic);
                }
            }
        });
    }

    private static bool MayReachBoth(SyntaxNode node) => TrainingStepEvents.MayReach(node, "step") && TrainingStepEvents.MayReach(node, "backward");

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static void Check(ILoopOperation loop, Func<ILoopOperation, List<(IInvocationOperation Call, TrainingEventKind Kind)>> callsOf, TrainingStepEvents events, Action<Diagnostic> report)
    {
        var calls = callsOf(loop);
        if (!calls.Any(c => c.Kind == TrainingEventKind.Backward) || calls.Any(c => c.Kind == TrainingEventKind.ZeroGrad))
            return;
        var step = calls.FirstOrDefault(c => c.Kind == TrainingEventKind.Step);
        // A nested loop that does both reports for itself.
        if (step.Call is null || loop.Body.DescendantsAndSelf().OfType<ILoopOperation>().Any(inner => callsOf(inner).Select(c => c.Kind).Distinct().Count(k => k is TrainingEventKind.Backward or TrainingEventKind.Step) == 2))
            return;

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (step.Call.Instance is { } optimizer && events.Classify(step.Call) == TrainingEventKind.Step)
            properties = properties.Add(OptimizerProperty, optimizer.Syntax.ToString());
        report(Diagnostic.Create(Rule, step.Call.Syntax.GetLocation(), properties, step.Call.Syntax.ToString()));
    }

    // The training calls a loop makes, directly or through helpers, outside lambdas and local functions of its own.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static List<(IInvocationOperation Call, TrainingEventKind Kind)> Calls(ILoopOperation loop, TrainingStepEvents events)
    {
        var calls = new List<(IInvocationOperation, TrainingEventKind)>();
        foreach (var invocation in OperationIndex.Invocations(loop.Body)) // the body's, not the body itself, as Descendants() gave them
        {
            if (InsideFunction(invocation, loop))
                continue;
            if (events.Classify(invocation) is { } kind)
                calls.Add((invocation, kind));
            else
                calls.AddRange(events.ThroughHelper(invocation).Select(k => (invocation, k)));
        }
        return calls;
    }

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static bool InsideFunction(IOperation operation, IOperation loop)
    {
        for (var parent = operation.Parent; parent is not null && parent != loop; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return true;
        }
        return false;
    }
}
