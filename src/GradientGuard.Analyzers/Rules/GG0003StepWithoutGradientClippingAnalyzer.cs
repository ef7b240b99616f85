using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0003: an <c>Optimizer.step()</c> reached after <c>backward()</c> with no <c>clip_grad_norm_</c>/<c>clip_grad_value_</c>
/// between them. A warning when the model is recurrent or attention-based (where gradients explode most), a suggestion
/// otherwise; silent for optimizers over a few hand-listed tensors, for clips it cannot prove belong to another
/// optimizer, and for a step whose clip is misplaced (GG0004 reports that).
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class GG0003StepWithoutGradientClippingAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: the parameters expression the code fix clips.</summary>
    public const string ParametersProperty = "Parameters";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.StepWithoutGradientClipping,
        title: "Optimizer step without gradient clipping",
        messageFormat: "'{0}' follows backward() with no clip_grad_norm_ or clip_grad_value_ in between{1}",
        Categories.Optimization,
        RuleLevel.BuildWarning, // reported as a suggestion, or a warning for recurrent models, as gradientguard.GG0003.*_severity say
        description: "One exploding batch can wreck a run: clipping the gradient norm between backward() and step() bounds every update.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var events = TrainingStepEvents.For(torch);
        if (!TrainingStepEvents.MayHoldTrainingStep(context.Compilation))
            return; // no file has a training step: not one callback per method
        // Read per file, after the driver has bound its bodies (FileBodies): the helpers a body calls are summarized
        // from their operation trees, which a block action would often have to bind first.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            if (!TrainingStepEvents.MayHoldTrainingStep(file.SemanticModel.SyntaxTree))
                return;
            // Only a body that can reach a step (itself, or through a helper of its file) is walked.
            foreach (var body in FileBodies.Read(file.SemanticModel, file.FilterSpan, b => TrainingStepEvents.MayReach(b, "step"), file.CancellationToken))
                Analyze(body.Operation, CollectCalls(body.Operation, events), file.Options, file.ReportDiagnostic, torch);
        });
    }

    // The body's backward, clip, step and zero_grad calls, direct or through helpers, each with the body (method,
    // lambda or local function) it is in.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static List<TrainingCall> CollectCalls(IOperation root, TrainingStepEvents events)
    {
        var calls = new List<TrainingCall>();
        foreach (var operation in OperationIndex.Descendants(root))
        {
            if (operation.Kind is not (OperationKind.Invocation or OperationKind.Invalid))
                continue; // a kind test is cheaper than the type tests below, for the many operations that are neither
            switch (operation)
            {
                case IInvocationOperation invocation:
                    if (events.Classify(invocation) is { } kind)
                    {
                        calls.Add(new TrainingCall(invocation, invocation, invocation.Instance, kind, Direct: true, EnclosingBody(invocation)));
                        break;
                    }
                    var throughHelper = events.ThroughHelper(invocation);
                    if (throughHelper.Count == 0)
                        break;
                    // A helper that does its own backward and step is a whole training step, judged in its own body: its
                    // call is no second step to report here.
                    bool wholeStep = throughHelper.Contains(TrainingEventKind.Backward) && throughHelper.Contains(TrainingEventKind.Step);
                    var body = EnclosingBody(invocation);
                    foreach (var through in throughHelper.Where(k => !(wholeStep && k == TrainingEventKind.Step)))
                        calls.Add(new TrainingCall(invocation, invocation, invocation.Instance, through, Direct: false, body));
                    break;
                // Only the event names can classify: the name is read before the call is bound again for its candidates.
                case IInvalidOperation { Syntax: InvocationExpressionSyntax named } invalid when TrainingStepEvents.IsEventName(named.CalledName()) &&
                    CandidateCalls.TryGet(invalid, out var method, out var instance) && events.Classify(method) is { } candidateKind:
                    calls.Add(new TrainingCall(invalid, null, instance, candidateKind, Direct: true, EnclosingBody(invalid)));
                    break;
            }
        }
        return calls;
    }

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static void Analyze(IOperation root, List<TrainingCall> calls, AnalyzerOptions options, Action<Diagnostic> report, TorchSharpSymbols torch)
    {
        if (!calls.Any(c => c.Kind == TrainingEventKind.Step))
            return;
        // Only events in the same body count: a step inside a lambda (Assert.Throws(() => opt.step())) has its own.
        foreach (var body in calls.GroupBy(c => c.Body))
        {
            var ordered = body.OrderBy(c => c.Call.Syntax.SpanStart).ThenBy(c => c.Kind).ToList();
            var ownedByGG0004 = StepsWithMisplacedClips(ordered);
            foreach (var step in ordered.Where(c => c.Kind == TrainingEventKind.Step))
            {
                int position = step.Call.Syntax.SpanStart;
                int lastBackward = ordered.FindLastIndex(c => c.Kind == TrainingEventKind.Backward && c.Call.Syntax.SpanStart <= position && c.Call != step.Call);
                if (lastBackward < 0 || ownedByGG0004.Contains(step))
                    continue;
                var origin = new Lazy<OptimizerOrigin?>(() => step.Direct ? OptimizerOrigin.Find(step.Instance, root, torch) : null);
                bool clipped = ordered.Skip(lastBackward).Any(c =>
                    c.Kind == TrainingEventKind.Clip && c.Call.Syntax.SpanStart <= position && Covers(c, step, origin));
                if (!clipped)
                    Report(options, report, step, origin.Value, torch);
            }
        }
    }

    // A misplaced clip is GG0004's to report, on the step it belongs before: that step gets no second report here.
    private static HashSet<TrainingCall> StepsWithMisplacedClips(List<TrainingCall> ordered)
    {
        var direct = ordered.Where(c => c.Direct && c.Kind != TrainingEventKind.ZeroGrad).ToList();
        var owned = new HashSet<TrainingCall>();
        for (int i = 0; i < direct.Count; i++)
        {
            if (direct[i].Kind == TrainingEventKind.Clip && ClipPlacement.Misplaced(direct, i, c => c.Kind) is { Step: >= 0 } misplaced)
                owned.Add(direct[misplaced.Step]);
        }
        return owned;
    }

    // A clip covers the step unless it is proved to clip another optimizer's model: the step's optimizer was built from
    // a known model that can be named at the clip, and the clip names parameters of a different one. Clipping of
    // unknown origin (a helper, a parameters list built elsewhere, an optimizer passed in) is trusted: a report on a
    // clipped step is the worst kind.
    private static bool Covers(TrainingCall clip, TrainingCall step, Lazy<OptimizerOrigin?> origin)
    {
        if (!clip.Direct || clip.Invocation is null)
            return true;
        var clipped = (clip.Invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value).WithoutConversions();
        var clippedOwner = OptimizerOrigin.ReferencedSymbol(OptimizerOrigin.ParametersOwner(clipped));
        if (clippedOwner is null || SymbolEqualityComparer.Default.Equals(clippedOwner, OptimizerOrigin.ReferencedSymbol(step.Instance)))
            return true;
        // The model must be nameable where the clip stands (a constructor's parameter that became a field is not).
        var model = origin.Value?.Model;
        return model is null || SymbolEqualityComparer.Default.Equals(clippedOwner, model) || !InScope(model, clip.Call);
    }

    /// <summary>
    /// A backward, clip or step reached by a call, directly or through a helper, and the body (method, lambda or local
    /// function) it is in. <see cref="Invocation"/> is null for a call that bound only to candidate symbols.
    /// </summary>
    private sealed record TrainingCall(IOperation Call, IInvocationOperation? Invocation, IOperation? Instance, TrainingEventKind Kind, bool Direct, IOperation? Body);

    private static void Report(AnalyzerOptions options, Action<Diagnostic> report, TrainingCall call, OptimizerOrigin? origin, TorchSharpSymbols torch)
    {
        var step = call.Call;
        if (origin is { PlainTensors: true })
            return;

        string? recurrent = RecurrentPart(origin?.ModelType, torch);
        var tree = step.Syntax.SyntaxTree;
        var severity = recurrent is not null
            ? RuleOptions.RecurrentClippingSeverity.Read(options, tree)
            : RuleOptions.DefaultClippingSeverity.Read(options, tree);

        var properties = ImmutableDictionary<string, string?>.Empty;
        string? parameters = ParametersToClip(call, origin);
        if (parameters is not null)
            properties = properties.Add(ParametersProperty, parameters);

        string callText = step.Syntax is InvocationExpressionSyntax invocation ? invocation.Expression + "()" : step.Syntax.ToString();
        string detail = recurrent is not null ? $"; the model holds {recurrent}, whose gradients explode readily" : "";
        report(Diagnostic.Create(Rule, step.Syntax.GetLocation(), severity, additionalLocations: null, properties, callText, detail));
    }

    // The model's own parameters() when the optimizer was built from them and the model is reachable here, else the optimizer's.
    private static string? ParametersToClip(TrainingCall step, OptimizerOrigin? origin)
    {
        if (origin?.Parameters is IInvocationOperation { TargetMethod.Name: "parameters", Instance: { } model } call &&
            OptimizerOrigin.ReferencedSymbol(model) is { } symbol &&
            InScope(symbol, step.Call))
        {
            return call.Syntax.ToString();
        }
        if (step.Direct && step.Instance is { } optimizer)
            return optimizer.Syntax.ToString() + ".parameters()";
        return null;
    }

    // Whether the name means this symbol where the step stands (declared, and not shadowed). A parameter of the member
    // the site is in, or a local declared before the site by a statement of a block that holds it, does, when the site
    // is in no lambda or local function (which may declare the name again): C# lets nothing else in the same function
    // declare it (CS0136). So does a field or property of the type whose method holds the site, when that method may
    // use it (an instance member needs an instance method) and declares nothing of that name. Any other symbol is bound
    // speculatively, the one name: a hashed lookup, but a new binder each time (a tenth of the rule's time on the
    // generated code base, as much again on real code, where models are mostly fields); LookupSymbols would enumerate
    // every symbol in scope (all of torch, with `using static TorchSharp.torch`).
    // An instance field or property needs an instance where the site stands: speculative binding finds one from a static
    // method too (the symbol, with CS0120 for the code).
    private static bool InScope(ISymbol symbol, IOperation site) =>
        (EnclosingBody(site) is null && (DeclaredInTheSameFunction(symbol, site.Syntax) || MemberOfTheMethodsType(symbol, site)) ||
         site.SemanticModel?.GetSpeculativeSymbolInfo(site.Syntax.SpanStart, SyntaxFactory.IdentifierName(symbol.Name), SpeculativeBindingOption.BindAsExpression).Symbol is { } bound &&
         SymbolEqualityComparer.Default.Equals(bound, symbol)) &&
        (symbol.IsStatic || symbol is not (IFieldSymbol or IPropertySymbol) || InInstanceContext(site.Syntax));

    private static bool InInstanceContext(SyntaxNode site)
    {
        foreach (var node in site.Ancestors())
        {
            switch (node)
            {
                case AnonymousFunctionExpressionSyntax lambda when lambda.Modifiers.Any(SyntaxKind.StaticKeyword):
                case LocalFunctionStatementSyntax function when function.Modifiers.Any(SyntaxKind.StaticKeyword):
                    return false;
                case MemberDeclarationSyntax member:
                    return !member.Modifiers.Any(SyntaxKind.StaticKeyword);
            }
        }
        return false;
    }

    private static bool DeclaredInTheSameFunction(ISymbol symbol, SyntaxNode site)
    {
        if (symbol is not (IParameterSymbol or ILocalSymbol) || symbol.DeclaringSyntaxReferences.Length != 1 ||
            symbol.DeclaringSyntaxReferences[0].SyntaxTree != site.SyntaxTree)
        {
            return false;
        }
        var declaration = symbol.DeclaringSyntaxReferences[0].GetSyntax();
        return declaration switch
        {
            ParameterSyntax { Parent.Parent: BaseMethodDeclarationSyntax member } => member.Span.Contains(site.Span),
            VariableDeclaratorSyntax { Parent.Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax block } } =>
                block.Span.Contains(site.Span) && declaration.Span.End <= site.SpanStart,
            _ => false,
        };
    }

    // A field or property of the type declaring the method that holds the site, and no identifier of that name in the
    // method that is not a use of a name (a local, a parameter, a pattern's or a loop's variable, a lambda's parameter,
    // a local function, a type parameter declare one): the name finds the type's member first, and the type can declare
    // nothing else of that name (CS0102).
    private static bool MemberOfTheMethodsType(ISymbol symbol, IOperation site)
    {
        if (symbol is not (IFieldSymbol or IPropertySymbol { IsIndexer: false }) || site.SemanticModel is not { } model ||
            FileDeclarations.MemberOf(site.Syntax) is not BaseMethodDeclarationSyntax method ||
            method.Parent is not TypeDeclarationSyntax type ||
            !SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(type), symbol.ContainingType))
        {
            return false;
        }
        foreach (var token in TreeText.CodeNames(method, method.Span, symbol.Name))
        {
            if (token.Parent is not IdentifierNameSyntax)
                return false;
        }
        return true;
    }

    private static string? RecurrentPart(ITypeSymbol? modelType, TorchSharpSymbols torch)
    {
        if (modelType is null)
            return null;
        foreach (var recurrent in torch.Recurrent)
        {
            if (TorchSharpSymbols.DerivesFrom(modelType, recurrent))
                return recurrent!.Name;
        }
        for (var type = modelType; type is not null && type.Locations.Any(l => l.IsInSource); type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                var memberType = member.HeldType();
                var match = torch.Recurrent.FirstOrDefault(r => TorchSharpSymbols.DerivesFrom(memberType, r));
                if (match is not null)
                    return $"{match.Name} '{member.Name}'";
            }
            if (HasHandWrittenRecurrence(type))
                return "a module applied in a loop in forward()";
        }
        return null;
    }

    // A loop in forward() that calls a module (call/forward) on each iteration: an unrolled recurrence.
    private static bool HasHandWrittenRecurrence(ITypeSymbol type) =>
        type.GetMembers("forward").SelectMany(m => m.DeclaringSyntaxReferences).Any(r =>
            r.GetSyntax().DescendantNodes().Any(n => n is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax &&
                n.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i =>
                    i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "call" or "forward" })));

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static IOperation? EnclosingBody(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return current;
        }
        return null;
    }
}
