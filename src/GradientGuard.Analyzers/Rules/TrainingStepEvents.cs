using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>What a call means for the order of a training step.</summary>
internal enum TrainingEventKind
{
    Backward,
    Clip,
    Step,

    /// <summary>optimizer.zero_grad() or module.zero_grad().</summary>
    ZeroGrad,
}

/// <summary>Recognizes backward(), clipping, Optimizer.step() and zero_grad() calls by symbol, directly or inside helpers of the same file.</summary>
internal sealed class TrainingStepEvents
{
    private const int MaxHelperDepth = 3;
    private readonly TorchSharpSymbols torch;
    // Per compilation: each helper is summarized once, however many calls reach it.
    private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyCollection<TrainingEventKind>> helpers = new(SymbolEqualityComparer.Default);
    private readonly SourceMentions trainingFiles = SourceMentions.AllOf("backward", "step");

    private TrainingStepEvents(TorchSharpSymbols torch) => this.torch = torch;

    /// <summary>The compilation's one instance: every rule summarizes a helper once.</summary>
    public static TrainingStepEvents For(TorchSharpSymbols torch) => torch.Shared(t => new TrainingStepEvents(t));

    /// <summary>
    /// Whether a file can hold a training step: it mentions both backward and step, directly or in a helper of the file
    /// (helpers are followed only within one file). Files that cannot are not walked; the answer is kept per file.
    /// </summary>
    public bool MayHoldTrainingStep(SyntaxTree tree) => trainingFiles.In(tree);

    /// <summary>The kind of a direct TorchSharp call, if it is one of the three.</summary>
    public TrainingEventKind? Classify(IInvocationOperation invocation) => Classify(invocation.TargetMethod);

    /// <summary>The kind of a call of this method, if it is one of the three.</summary>
    public TrainingEventKind? Classify(IMethodSymbol method)
    {
        switch (method.Name)
        {
            case "backward":
                return TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Tensor) ||
                       SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Autograd) ? TrainingEventKind.Backward : null;
            case "clip_grad_norm_":
            case "clip_grad_value_":
                return SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.NnUtils) ? TrainingEventKind.Clip : null;
            case "step":
                return TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Optimizer) ? TrainingEventKind.Step : null;
            case "zero_grad":
                return TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Optimizer) || TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Module)
                    ? TrainingEventKind.ZeroGrad
                    : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// The events a call of a method or local function declared in the same file leads to (looked up to a few calls deep),
    /// so that backward/clip/step split across helpers of one type are seen together.
    /// </summary>
    public IReadOnlyCollection<TrainingEventKind> ThroughHelper(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod.OriginalDefinition;
        var model = invocation.SemanticModel;
        if (model is null || !method.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == model.SyntaxTree))
            return Array.Empty<TrainingEventKind>(); // only helpers in the same file: no semantic model of another tree is built here
        return helpers.GetOrAdd(method, _ =>
        {
            var found = new HashSet<TrainingEventKind>();
            Collect(invocation, model, depth: 0, found, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
            return found;
        });
    }

    private void Collect(IInvocationOperation invocation, SemanticModel? model, int depth, HashSet<TrainingEventKind> found, HashSet<IMethodSymbol> visited)
    {
        var method = invocation.TargetMethod.OriginalDefinition;
        if (model is null || depth >= MaxHelperDepth || !method.Locations.Any(l => l.IsInSource) || !visited.Add(method))
            return;
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model.SyntaxTree)
                continue; // only helpers in the same file: no semantic model of another tree is built here
            var body = model.GetOperation(reference.GetSyntax());
            if (body is null)
                continue;
            foreach (var inner in body.Descendants().OfType<IInvocationOperation>())
            {
                if (Classify(inner) is { } kind)
                    found.Add(kind);
                else
                    Collect(inner, model, depth + 1, found, visited);
            }
        }
    }
}
