using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// An init that reaches every weight layer of a model, or every one of a type: a callback given to <c>apply</c> (a
/// lambda, or a method group in any file) that tests the module's type, or a loop over <c>parameters()</c> /
/// <c>named_parameters()</c>.
/// </summary>
internal sealed class ModelWideInit
{
    public ModelWideInit(ISymbol? model, string? layerType, InitCall call)
    {
        Model = model;
        LayerType = layerType;
        Call = call;
    }

    /// <summary>The local, field or property holding the model; null for the instance itself (<c>this.apply(...)</c> in a module class).</summary>
    public ISymbol? Model { get; }

    /// <summary>The layer type the callback tests for (<c>m is Linear lin</c>), by name; null for every weight layer.</summary>
    public string? LayerType { get; }

    public InitCall Call { get; }

    /// <summary>Whether it reaches a layer of this type.</summary>
    public bool Reaches(ITypeSymbol? layer)
    {
        if (LayerType is null)
            return true;
        for (var type = layer; type is not null; type = type.BaseType)
        {
            if (type.Name == LayerType)
                return true;
        }
        return false;
    }
}

/// <summary>Finds <see cref="ModelWideInit"/>s in method bodies.</summary>
internal static class ModelWideInits
{
    // A name filter on named_parameters() that only tells weights from biases still reaches every weight layer.
    private static readonly string[] GenericNames = { "weight", ".weight", "bias", ".bias" };

    public static List<ModelWideInit> Find(IEnumerable<IOperation> roots, TorchSharpSymbols torch)
    {
        var found = new List<ModelWideInit>();
        foreach (var operation in roots.SelectMany(r => OperationIndex.Descendants(r).Prepend(r)))
        {
            switch (operation)
            {
                case IInvocationOperation { TargetMethod.Name: "apply", Arguments.Length: 1 } apply when TorchSharpSymbols.DerivesFrom(apply.TargetMethod.ContainingType, torch.Module):
                    found.AddRange(Applied(apply, torch));
                    break;
                case IForEachLoopOperation loop when loop.Collection.WithoutConversions() is IInvocationOperation { TargetMethod.Name: "parameters" or "named_parameters" } parameters &&
                                                     TorchSharpSymbols.DerivesFrom(parameters.TargetMethod.ContainingType, torch.Module):
                    found.AddRange(OverParameters(loop, parameters, torch));
                    break;
            }
        }
        return found;
    }

    /// <summary>The model an <c>apply</c> or <c>parameters()</c> call is made on: a local, field or property, or the instance (null).</summary>
    private static bool TryModel(IOperation? receiver, out ISymbol? model)
    {
        model = null;
        switch (receiver.WithoutConversions())
        {
            case null:
            case IInstanceReferenceOperation:
                return true;
            case ILocalReferenceOperation l:
                model = l.Local;
                return true;
            case IFieldReferenceOperation f:
                model = f.Field;
                return true;
            case IPropertyReferenceOperation p:
                model = p.Property;
                return true;
            default:
                return false;
        }
    }

    private static IEnumerable<ModelWideInit> Applied(IInvocationOperation apply, TorchSharpSymbols torch)
    {
        if (!TryModel(apply.Instance, out var model))
            return Enumerable.Empty<ModelWideInit>();
        switch (apply.Arguments[0].Value.WithoutConversions())
        {
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }:
                return BoundCallback(lambda.Body, model, torch);
            case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: var method } }:
                var declaration = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
                if (declaration is null)
                    return Enumerable.Empty<ModelWideInit>();
                if (declaration.SyntaxTree == apply.SemanticModel?.SyntaxTree && apply.SemanticModel.GetOperation(declaration) is { } body)
                    return BoundCallback(body, model, torch);
                return CallbackBySyntax(declaration, model, apply.Syntax.GetLocation());
            default:
                return Enumerable.Empty<ModelWideInit>();
        }
    }

    // m => { if (m is Linear lin) init.xavier_uniform_(lin.weight); }: each init on a pattern variable's weight, for its type.
    private static IEnumerable<ModelWideInit> BoundCallback(IOperation body, ISymbol? model, TorchSharpSymbols torch)
    {
        var patterns = body.Descendants().OfType<IDeclarationPatternOperation>()
            .Where(p => p.DeclaredSymbol is not null)
            .ToDictionary(p => p.DeclaredSymbol!, p => p.MatchedType, SymbolEqualityComparer.Default);
        foreach (var call in body.Descendants().OfType<IInvocationOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Init) || call.Arguments.Length == 0)
                continue;
            var weight = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value.WithoutConversions();
            if (weight is IPropertyReferenceOperation { Property.Name: "weight", Instance: var instance })
            {
                string? type = instance.WithoutConversions() is ILocalReferenceOperation local && patterns.TryGetValue(local.Local, out var matched)
                    ? matched?.Name
                    : instance is IConversionOperation { IsImplicit: false, Type: { } cast } ? cast.Name : null;
                if (type is not null)
                    yield return new ModelWideInit(model, type, InitCalls.Classify(call));
            }
        }
    }

    // The same read from a method in another file: `m is Linear lin` / `case Linear lin:` and init calls on lin.weight.
    private static IEnumerable<ModelWideInit> CallbackBySyntax(SyntaxNode method, ISymbol? model, Location applyCall)
    {
        var patterns = method.DescendantNodes().OfType<DeclarationPatternSyntax>()
            .Where(p => p.Designation is SingleVariableDesignationSyntax)
            .GroupBy(p => ((SingleVariableDesignationSyntax)p.Designation).Identifier.ValueText)
            .ToDictionary(g => g.Key, g => LastName(g.First().Type));
        foreach (var call in method.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (InitHelpers.Classify(call) is not { } kind ||
                call.ArgumentList.Arguments.FirstOrDefault()?.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "weight", Expression: IdentifierNameSyntax layer } ||
                !patterns.TryGetValue(layer.Identifier.ValueText, out var type))
            {
                continue;
            }
            string name = call.CalledName() ?? call.Expression.ToString();
            yield return new ModelWideInit(model, type, new InitCall(kind, name, applyCall, fixable: false));
        }
    }

    private static string? LastName(TypeSyntax type) => type switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    // foreach (var (name, p) in model.named_parameters()) if (name.EndsWith("weight")) init.xavier_uniform_(p);
    // Reaches every weight layer, unless a string in the conditions names something else (one layer, an attention
    // block): then which layers it reaches is not known here, and nothing is claimed.
    private static IEnumerable<ModelWideInit> OverParameters(IForEachLoopOperation loop, IInvocationOperation parameters, TorchSharpSymbols torch)
    {
        if (!TryModel(parameters.Instance, out var model))
            yield break;
        foreach (var call in loop.Body.Descendants().OfType<IInvocationOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Init) || call.Arguments.Length == 0 ||
                call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value.WithoutConversions() is not ILocalReferenceOperation parameter ||
                !loop.Locals.Contains(parameter.Local, SymbolEqualityComparer.Default) ||
                !TorchSharpSymbols.DerivesFrom(parameter.Local.Type, torch.Tensor) ||
                Filters(loop, call).Any(s => !GenericNames.Contains(s, StringComparer.Ordinal)))
            {
                continue;
            }
            yield return new ModelWideInit(model, layerType: null, InitCalls.Classify(call));
        }
    }

    // The string constants in the conditions that decide whether the call runs: enclosing ifs, and ifs that skip the
    // rest of the body (if (name.Contains("bias")) continue;).
    private static IEnumerable<string> Filters(IForEachLoopOperation loop, IOperation call)
    {
        var conditions = new List<IOperation>();
        for (var parent = call.Parent; parent is not null && parent != loop; parent = parent.Parent)
        {
            if (parent is IConditionalOperation conditional)
                conditions.Add(conditional.Condition);
        }
        conditions.AddRange(loop.Body.Descendants().OfType<IConditionalOperation>()
            .Where(c => c.Syntax.SpanStart < call.Syntax.SpanStart && c.WhenTrue.DescendantsAndSelf().Any(o => o is IBranchOperation))
            .Select(c => c.Condition));
        return conditions.SelectMany(c => c.DescendantsAndSelf())
            .Select(o => o.ConstantValue is { HasValue: true, Value: string text } ? text : null)
            .Where(t => t is not null)!;
    }
}
