using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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
        : this(kind, operation is IInvocationOperation invocation ? invocation.TargetMethod.Name : "assignment", operation.Syntax.GetLocation(), fixable: true, spread)
    {
    }

    public InitCall(InitKind kind, string name, Location location, bool fixable, double spread = double.NaN)
    {
        Kind = kind;
        Name = name;
        Location = location;
        Fixable = fixable;
        Spread = spread;
    }

    public InitKind Kind { get; }

    /// <summary>The init function (<c>xavier_uniform_</c>), or "assignment", or a helper that calls one.</summary>
    public string Name { get; }

    /// <summary>Where a report goes: the init call or assignment, or the call of a helper that holds it.</summary>
    public Location Location { get; }

    /// <summary>Whether the quick fix can rewrite it in place (false for an init inside a helper the call reaches).</summary>
    public bool Fixable { get; }

    /// <summary>For <see cref="InitKind.ConstantSpread"/>: the standard deviation it draws from.</summary>
    public double Spread { get; }

    /// <summary>
    /// Whether GG0002 can find it unsuited to a path at all: Xavier, He init for ReLU, or a known constant spread. Any
    /// other init is never reported, so no path is read (its forward bound) for it.
    /// </summary>
    public bool CanMismatch => Kind is InitKind.Xavier or InitKind.KaimingRectifier || Kind == InitKind.ConstantSpread && !double.IsNaN(Spread);
}

/// <summary>
/// Finds the explicit initializations of layers' weights, keyed by the local, field or property holding the layer: calls
/// on <c>layer.weight</c>, on each layer of a <c>foreach</c> over an array or list of layers, and inside helpers (in any
/// file, read by syntax) that are given the layer or its weight.
/// </summary>
internal static class InitCalls
{
    private const int ReLU = 9, LeakyReLU = 10; // torch.nn.init.NonlinearityType

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static Dictionary<ISymbol, List<InitCall>> Find(IEnumerable<IOperation> roots, TorchSharpSymbols torch)
    {
        var found = new Dictionary<ISymbol, List<InitCall>>(SymbolEqualityComparer.Default);
        foreach (var operation in roots.SelectMany(r => OperationIndex.Descendants(r).Prepend(r)))
        {
            foreach (var (weight, layerGiven, call) in Initializations(operation, torch))
            {
                foreach (var holder in HoldersOfWeight(weight, layerGiven))
                {
                    if (!found.TryGetValue(holder, out var list))
                        found[holder] = list = new List<InitCall>();
                    list.Add(call);
                }
            }
        }
        return found;
    }

    /// <summary>
    /// What an operation initializes: the weight expression (or, for a helper, the layer or weight it is given) and how,
    /// for a direct init, a <c>.weight</c> assignment or a helper call.
    /// </summary>
    private static IEnumerable<(IOperation? Weight, bool LayerGiven, InitCall Call)> Initializations(IOperation operation, TorchSharpSymbols torch)
    {
        switch (operation)
        {
            case IInvocationOperation i when SymbolEqualityComparer.Default.Equals(i.TargetMethod.ContainingType, torch.Init) && i.Arguments.Length > 0:
                return new[] { (i.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value, false, Classify(i)) };
            case IInvocationOperation i when i.TargetMethod.Name is "normal_" or "uniform_" && TorchSharpSymbols.DerivesFrom(i.TargetMethod.ContainingType, torch.Tensor):
                return new[] { (i.Instance, false, new InitCall(InitKind.ConstantSpread, i, Spread(i))) };
            case ISimpleAssignmentOperation a:
                return new[] { ((IOperation?)a.Target, false, new InitCall(InitKind.Other, a)) };
            case IInvocationOperation i when i.TargetMethod.ContainingAssembly?.Name != "TorchSharp" && i.TargetMethod.Locations.Any(l => l.IsInSource):
                return InitHelpers.Summary(i.TargetMethod).Select(h => (
                    Argument(i, h.Parameter),
                    true,
                    new InitCall(h.Kind, i.TargetMethod.Name, i.Syntax.GetLocation(), fixable: false)));
            default:
                return Array.Empty<(IOperation?, bool, InitCall)>();
        }
    }

    private static IOperation? Argument(IInvocationOperation call, int ordinal) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value.WithoutConversions();

    public static InitCall Classify(IInvocationOperation call)
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

    /// <summary>
    /// The layers whose weight <paramref name="operation"/> is: <c>layer.weight</c> (or <c>this.layer.weight</c>), or,
    /// when <paramref name="layerGiven"/> (a helper's argument), the layer itself; a <c>foreach</c> variable over an array
    /// literal or a local list of layers stands for each of them.
    /// </summary>
    private static IEnumerable<ISymbol> HoldersOfWeight(IOperation? operation, bool layerGiven)
    {
        var layer = operation.WithoutConversions() switch
        {
            IPropertyReferenceOperation { Property.Name: "weight", Instance: var instance } => instance.WithoutConversions(),
            var given when layerGiven => given,
            _ => null,
        };
        switch (layer)
        {
            case ILocalReferenceOperation { Local.IsForEach: true } each when EnclosingForEach(each) is { } loop:
                return Elements(loop).Select(e => e.ReferencedSymbol()).Where(h => h is not null)!;
            case ILocalReferenceOperation l:
                return new ISymbol[] { l.Local };
            case IFieldReferenceOperation f:
                return new ISymbol[] { f.Field };
            case IPropertyReferenceOperation { Property.Name: not "weight" } p:
                return new ISymbol[] { p.Property };
            default:
                return Array.Empty<ISymbol>();
        }
    }

    private static IForEachLoopOperation? EnclosingForEach(ILocalReferenceOperation variable)
    {
        for (var parent = variable.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IForEachLoopOperation loop && loop.Locals.Contains(variable.Local, SymbolEqualityComparer.Default))
                return loop;
        }
        return null;
    }

    // new[] { fc1, fc2 } or a local list filled before the loop (CollectionFill).
    private static IEnumerable<IOperation> Elements(IForEachLoopOperation loop) => loop.Collection.WithoutConversions() switch
    {
        IArrayCreationOperation { Initializer: { } elements } => elements.ElementValues,
        { Syntax: CollectionExpressionSyntax } collection => CollectionExpressions.Elements(collection) ?? Enumerable.Empty<IOperation>(),
        ILocalReferenceOperation list => CollectionFill.Replay(list.Local, new[] { loop.Root() }, loop.Syntax.SpanStart) ?? Enumerable.Empty<IOperation>(),
        _ => Enumerable.Empty<IOperation>(),
    };
}
