using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>What a call means for the order of a training step.</summary>
internal enum TrainingEventKind
{
    Backward,
    Clip,
    Step,

    /// <summary>optimizer.zero_grad() or module.zero_grad().</summary>
    ZeroGrad,
}

/// <summary>Recognizes backward(), clipping, Optimizer.step() and zero_grad() calls by symbol, directly or inside helpers (see <see cref="ThroughHelper"/>).</summary>
internal sealed class TrainingStepEvents
{
    private const int MaxHelperDepth = 3;
    private readonly TorchSharpSymbols torch;
    // Per compilation: each helper is summarized once, however many calls reach it.
    private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyCollection<TrainingEventKind>> helpers = new(SymbolEqualityComparer.Default);
    private static readonly SourceMentions TrainingFiles = SourceMentions.AllOf("backward", "step");
    private readonly HelperGate gate = new();

    private TrainingStepEvents(TorchSharpSymbols torch) => this.torch = torch;

    /// <summary>The compilation's one instance: every rule summarizes a helper once.</summary>
    public static TrainingStepEvents For(TorchSharpSymbols torch) => torch.Shared(t => new TrainingStepEvents(t));

    /// <summary>
    /// Whether a file can hold a training step: it mentions both backward and step (a helper in another file never adds
    /// either). Files that cannot are not walked; the answer is kept per file.
    /// </summary>
    public static bool MayHoldTrainingStep(SyntaxTree tree) => TrainingFiles.In(tree);

    /// <summary>Whether any file of the compilation can hold a training step (<see cref="MayHoldTrainingStep(SyntaxTree)"/>).</summary>
    public static bool MayHoldTrainingStep(Compilation compilation) => TrainingFiles.InAny(compilation);

    /// <summary>
    /// Whether <paramref name="node"/> (a method body, a loop) can reach a call named <paramref name="word"/> (<c>step</c>,
    /// <c>backward</c>): it names it (an identifier of its code), or calls by name a method or local function of its file
    /// that can (helpers of other files are read for clips and zero_grad only, see <see cref="ThroughHelper"/>). A
    /// text and syntax test, so that the bodies of a training file that cannot hold a step are never walked.
    /// </summary>
    public static bool MayReach(SyntaxNode node, string word)
    {
        if (Mentions(node, word))
            return true;
        var tree = node.SyntaxTree;
        var leading = LeadingNames(tree, word);
        if (MayCall(tree, node.Span, leading))
            return true;
        // A local function of the member the node sits in, when the node does not hold it (a loop calling one declared
        // beside it): the members' closure cannot see it, its text is not the node's.
        if (FileDeclarations.MemberOf(node) is not { } member || node.Parent == member || node.Span.Contains(member.Span))
            return false; // a member's whole body holds its local functions: their text was tested with it
        if (!Mentions(member, word) && !MayCall(tree, member.Span, leading))
            return false; // no local function can lead there when the member's text names neither the word nor a leading name
        var locals = FileDeclarations.LocalFunctionsIn(member).Where(f => !node.Span.Contains(f.Node.Span)).ToList();
        if (locals.Count == 0)
            return false;
        var reaching = Closure(tree, locals, new HashSet<string>(leading, StringComparer.Ordinal), word);
        return MayCall(tree, node.Span, reaching);
    }

    // The event's name as an identifier of the code, as any call of it must write it: `global_step`, `steps` or a
    // comment's "backward pass" does not make a body a training step.
    private static bool Mentions(SyntaxNode node, string word) => TreeText.ContainsCodeName(node, word);

    // Whether the code of a span may call a name in `names`: a call of it (its name as an identifier, which every call
    // form writes, x?.Train() and global::Train() too), or a ": base(...)" when a constructor is among them. Tests that
    // only ever let too much through (any identifier of that name counts, a local variable's too).
    private static bool MayCall(SyntaxTree tree, Microsoft.CodeAnalysis.Text.TextSpan span, HashSet<string> names) =>
        names.Contains(FileDeclarations.ConstructorName) && TreeText.MayCallConstructor(tree, span) ||
        names.Any(name => name != FileDeclarations.ConstructorName && TreeText.ContainsCodeName(tree, span, name));

    // Per file and word: the methods, local functions and constructors that mention the word, or may call one that does
    // (to any depth, which covers the helper depth ThroughHelper follows).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<string, HashSet<string>>> Leading = new();

    private static HashSet<string> LeadingNames(SyntaxTree tree, string word) =>
        Leading.GetValue(tree, _ => new ConcurrentDictionary<string, HashSet<string>>(StringComparer.Ordinal))
            .GetOrAdd(word, w => ComputeLeadingNames(tree, w));

    private static HashSet<string> ComputeLeadingNames(SyntaxTree tree, string word) =>
        Closure(tree, FileDeclarations.Of(tree).Members, new HashSet<string>(StringComparer.Ordinal), word);

    // Adds to `leading` the names of the declarations that mention the word, or may call one that does, to any depth.
    private static HashSet<string> Closure(SyntaxTree tree, IReadOnlyList<FileDeclarations.Declaration> declarations, HashSet<string> leading, string word) =>
        NameClosure.Extend(declarations, leading, d => Mentions(d.Node, word), (span, names) => MayCall(tree, span, names));

    /// <summary>Whether a call of this name can be a training event at all (<see cref="Classify(IMethodSymbol)"/> knows no other).</summary>
    public static bool IsEventName(string? name) => name is "backward" or "clip_grad_norm_" or "clip_grad_value_" or "step" or "zero_grad";

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
    /// The events a call of a method or local function declared in source leads to (looked up to a few calls deep), so
    /// that backward/clip/step split across helpers are seen together. Helpers in the same file are bound and read by
    /// symbol. Helpers in other files are read by syntax only (an analyzer builds no semantic model of another file,
    /// so the diagnostic stays live in the editor): there only the events that can silence a rule count, a clip or a
    /// zero_grad, never a backward or a step that would raise one. A method named for clipping gradients
    /// (<c>ClipGradNorm</c>, <c>grad_clipping</c>) is trusted to clip.
    /// </summary>
    public IReadOnlyCollection<TrainingEventKind> ThroughHelper(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod.OriginalDefinition;
        var model = invocation.SemanticModel;
        if (model is null || method.DeclaringSyntaxReferences.IsEmpty)
            return Array.Empty<TrainingEventKind>();
        return helpers.GetOrAdd(method, _ =>
        {
            var found = new HashSet<TrainingEventKind>();
            if (method.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == model.SyntaxTree))
                Collect(invocation, model, depth: 0, found, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
            else
                CollectBySyntax(method, found);
            return found;
        });
    }

    /// <summary>Whether a method of the user's is named for clipping gradients: both words, in any case and style.</summary>
    public static bool IsNamedForClipping(string name) =>
        name.IndexOf("clip", StringComparison.OrdinalIgnoreCase) >= 0 && name.IndexOf("grad", StringComparison.OrdinalIgnoreCase) >= 0;

    private void Collect(IInvocationOperation invocation, SemanticModel? model, int depth, HashSet<TrainingEventKind> found, HashSet<IMethodSymbol> visited)
    {
        var method = invocation.TargetMethod.OriginalDefinition;
        if (model is null || depth >= MaxHelperDepth || !method.Locations.Any(l => l.IsInSource) || !visited.Add(method))
            return;
        if (IsNamedForClipping(method.Name))
            found.Add(TrainingEventKind.Clip);
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model.SyntaxTree)
            {
                CollectBySyntax(method, found);
                continue;
            }
            var declaration = reference.GetSyntax();
            if (!gate.MayLeadToEvents(declaration, model.Compilation))
                continue; // most methods of a file are no training helpers: binding each again would double the file's binding
            var body = model.GetOperation(declaration);
            if (body is null)
                continue;
            foreach (var inner in OperationIndex.Invocations(body))
            {
                if (Classify(inner) is { } kind)
                    found.Add(kind);
                else
                    Collect(inner, model, depth + 1, found, visited);
            }
        }
    }

    // A helper in another file: its own name, and the names it calls, read from its syntax (no binding). Only a name
    // holding "clip" (any case) or "zero_grad" counts, so a declaration whose text holds neither is not walked.
    private static void CollectBySyntax(IMethodSymbol method, HashSet<TrainingEventKind> found)
    {
        if (IsNamedForClipping(method.Name))
            found.Add(TrainingEventKind.Clip);
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (!HelperGate.MayClipOrZeroGrad(TreeText.Of(reference.SyntaxTree), reference.Span))
                continue;
            foreach (var call in reference.GetSyntax().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                string? name = call.CalledName();
                if (name is "clip_grad_norm_" or "clip_grad_value_" || name is not null && IsNamedForClipping(name))
                    found.Add(TrainingEventKind.Clip);
                else if (name == "zero_grad")
                    found.Add(TrainingEventKind.ZeroGrad);
            }
        }
    }
}
