using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>How an explicit initialization sets a layer's weights.</summary>
internal enum InitKind
{
    /// <summary>xavier_*/glorot_*: suits Tanh/Sigmoid (with their gain), shrinks ReLU stacks.</summary>
    Xavier,

    /// <summary>kaiming_* for ReLU/LeakyReLU (the default nonlinearity): suits ReLU-family, too large for Tanh/Sigmoid.</summary>
    KaimingRectifier,

    /// <summary>normal_/uniform_/trunc_normal_ with a constant spread (<see cref="InitCall.Spread"/>, as a standard deviation).</summary>
    ConstantSpread,

    /// <summary>Anything else that sets the weights: another init function, a kaiming_ for another nonlinearity, an assignment.</summary>
    Other,
}

/// <summary>One explicit initialization of a held layer's weight.</summary>
internal sealed class InitCall
{
    public InitCall(InitKind kind, IOperation operation, double spread = double.NaN)
    {
        Kind = kind;
        Operation = operation;
        Spread = spread;
    }

    public InitKind Kind { get; }

    /// <summary>The init call or the assignment.</summary>
    public IOperation Operation { get; }

    /// <summary>For <see cref="InitKind.ConstantSpread"/>: the standard deviation it draws from.</summary>
    public double Spread { get; }
}

/// <summary>Finds the explicit initializations of layers' weights, keyed by the local, field or property holding the layer.</summary>
internal static class InitCalls
{
    private const int ReLU = 9, LeakyReLU = 10; // torch.nn.init.NonlinearityType

    public static Dictionary<ISymbol, List<InitCall>> Find(IEnumerable<IOperation> roots, TorchSharpSymbols torch)
    {
        var found = new Dictionary<ISymbol, List<InitCall>>(SymbolEqualityComparer.Default);
        foreach (var operation in roots.SelectMany(r => r.DescendantsAndSelf()))
        {
            var (weight, call) = operation switch
            {
                IInvocationOperation i when SymbolEqualityComparer.Default.Equals(i.TargetMethod.ContainingType, torch.Init) && i.Arguments.Length > 0 =>
                    (i.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value, Classify(i)),
                IInvocationOperation i when i.TargetMethod.Name is "normal_" or "uniform_" && TorchSharpSymbols.DerivesFrom(i.TargetMethod.ContainingType, torch.Tensor) =>
                    (i.Instance, new InitCall(InitKind.ConstantSpread, i, Spread(i))),
                ISimpleAssignmentOperation a => (a.Target, new InitCall(InitKind.Other, a)),
                _ => (null, null),
            };
            if (call is null || HolderOfWeight(weight) is not { } holder)
                continue;
            if (!found.TryGetValue(holder, out var list))
                found[holder] = list = new List<InitCall>();
            list.Add(call);
        }
        return found;
    }

    private static InitCall Classify(IInvocationOperation call)
    {
        string name = call.TargetMethod.Name;
        if (name.StartsWith("xavier_", StringComparison.Ordinal) || name.StartsWith("glorot_", StringComparison.Ordinal))
            return new InitCall(InitKind.Xavier, call);
        if (name.StartsWith("kaiming_", StringComparison.Ordinal))
        {
            var nonlinearity = Argument(call, "nonlinearity");
            bool rectifier = nonlinearity is null || nonlinearity.ConstantValue is { HasValue: true, Value: int value } && value is ReLU or LeakyReLU;
            return new InitCall(rectifier ? InitKind.KaimingRectifier : InitKind.Other, call);
        }
        if (name is "normal_" or "uniform_" or "trunc_normal_")
            return new InitCall(InitKind.ConstantSpread, call, Spread(call));
        return new InitCall(InitKind.Other, call);
    }

    // The standard deviation a normal_/uniform_ draws from, when its arguments are constants (defaults included).
    private static double Spread(IInvocationOperation call)
    {
        if (call.TargetMethod.Name == "uniform_")
        {
            double low = Constant(Argument(call, "low") ?? Argument(call, "from")), high = Constant(Argument(call, "high") ?? Argument(call, "to"));
            return (high - low) / Math.Sqrt(12);
        }
        return Constant(Argument(call, "std"));
    }

    private static IOperation? Argument(IInvocationOperation call, string parameter) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)?.Value.WithoutConversions();

    private static double Constant(IOperation? value) => value?.ConstantValue is { HasValue: true, Value: var v } && v is not null && v is not string
        ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)
        : double.NaN;

    // layer.weight (or this.layer.weight) -> layer
    private static ISymbol? HolderOfWeight(IOperation? operation) =>
        operation.WithoutConversions() is IPropertyReferenceOperation { Property.Name: "weight", Instance: var instance }
            ? instance.WithoutConversions() switch
            {
                ILocalReferenceOperation l => l.Local,
                IFieldReferenceOperation f => f.Field,
                IPropertyReferenceOperation p => p.Property,
                _ => null,
            }
            : null;
}
