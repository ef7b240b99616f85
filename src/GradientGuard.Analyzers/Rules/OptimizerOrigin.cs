using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>Where an optimizer's parameters come from, as far as the code that created it shows.</summary>
internal sealed class OptimizerOrigin
{
    private OptimizerOrigin(IOperation? parameters, ITypeSymbol? modelType, bool plainTensors)
    {
        Parameters = parameters;
        ModelType = modelType;
        PlainTensors = plainTensors;
    }

    /// <summary>The expression the optimizer was created from (e.g. <c>model.parameters()</c>), when known.</summary>
    public IOperation? Parameters { get; }

    /// <summary>The type of the model whose <c>parameters()</c> it optimizes, when known.</summary>
    public ITypeSymbol? ModelType { get; }

    /// <summary>True when it optimizes a handful of tensors listed by hand (linear regression), not a model.</summary>
    public bool PlainTensors { get; }

    public static OptimizerOrigin Find(IOperation? optimizer, IOperation root, TorchSharpSymbols torch)
    {
        var symbol = ReferencedSymbol(optimizer);
        if (symbol is null)
            return new OptimizerOrigin(null, null, false);

        var creation = root.Descendants()
            .Select(o => o switch
            {
                IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, symbol) => d.GetVariableInitializer()?.Value,
                ISimpleAssignmentOperation a when SymbolEqualityComparer.Default.Equals(ReferencedSymbol(a.Target), symbol) => a.Value,
                _ => null,
            })
            .FirstOrDefault(v => v is not null);
        var arguments = creation.WithoutConversions() switch
        {
            IInvocationOperation i when TorchSharpSymbols.DerivesFrom(i.TargetMethod.ReturnType, torch.Optimizer) => i.Arguments,
            IObjectCreationOperation c when TorchSharpSymbols.DerivesFrom(c.Type, torch.Optimizer) => c.Arguments,
            _ => default,
        };
        if (arguments.IsDefaultOrEmpty)
            return new OptimizerOrigin(null, null, false);

        var parameters = (arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value).WithoutConversions();
        if (parameters is IArrayCreationOperation || parameters is IObjectCreationOperation)
            return new OptimizerOrigin(parameters, null, plainTensors: true);
        return new OptimizerOrigin(parameters, ParametersOwner(parameters)?.Type, plainTensors: false);
    }

    /// <summary>For <c>model.parameters()</c>, possibly followed by <c>ToArray()</c>, <c>Concat()</c> and the like: <c>model</c>.</summary>
    public static IOperation? ParametersOwner(IOperation? parameters)
    {
        var call = parameters.WithoutConversions() as IInvocationOperation;
        while (call is not null && call.TargetMethod.Name is not ("parameters" or "named_parameters"))
            call = (call.Instance ?? call.Arguments.FirstOrDefault()?.Value).WithoutConversions() as IInvocationOperation;
        return call?.Instance;
    }

    public static ISymbol? ReferencedSymbol(IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation l => l.Local,
        IParameterReferenceOperation p => p.Parameter,
        IFieldReferenceOperation f => f.Field,
        IPropertyReferenceOperation p => p.Property,
        _ => null,
    };
}
