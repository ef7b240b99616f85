using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The most weight layers and the most Sigmoid/Tanh activations a Sequential construction can hold, read from its
/// syntax alone, before <see cref="SequentialPaths.Elements"/> binds it: a rule that needs a deep path (GG0006) or a
/// run of activations (GG0001) skips the Sequentials that cannot have one. Mirrors what <see cref="SequentialPaths"/>
/// reads as elements: a call is one element (a torch.nn factory's layer, or an opaque one), a nested Sequential or a
/// tuple's module is read through, and anything whose layers are read elsewhere (a local, a member, a list copied with
/// <c>ToArray()</c>) leaves the count open.
/// </summary>
internal static class SequentialLayerBound
{
    /// <summary>
    /// torch.nn factories that build no weight layer (an activation, dropout, pooling, normalization, a reshape): only
    /// torch.nn's calls are read as layers, so a call of one of these names is no weight layer whoever declares it.
    /// A test checks every name against TorchSharp.
    /// </summary>
    internal static readonly HashSet<string> NoWeightFactories = new(StringComparer.Ordinal)
    {
        "ReLU", "ReLU6", "LeakyReLU", "RReLU", "PReLU", "GELU", "SiLU", "ELU", "SELU", "CELU", "Mish", "Hardswish",
        "Hardsigmoid", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "Dropout", "Dropout2d", "Flatten",
        "Unflatten", "Identity", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
        "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    };

    /// <summary>
    /// The torch.nn factories of Sigmoid and Tanh: a call of another name is no saturating layer (a test checks that no
    /// other torch.nn factory returns one).
    /// </summary>
    internal static readonly HashSet<string> SaturatingFactories = new(StringComparer.Ordinal) { "Sigmoid", "Tanh" };

    /// <summary>
    /// The bound for <c>nn.Sequential(...)</c>, a derived class's <c>: base(...)</c> or a primary constructor's
    /// <c>: Sequential(...)</c>; null when it is open.
    /// </summary>
    public static (int Weights, int Saturating)? Of(SyntaxNode construction) => construction switch
    {
        InvocationExpressionSyntax call => Sum(call.ArgumentList.Arguments.Select(a => a.Expression)),
        ConstructorInitializerSyntax initializer => Sum(initializer.ArgumentList.Arguments.Select(a => a.Expression)),
        PrimaryConstructorBaseTypeSyntax primary => Sum(primary.ArgumentList.Arguments.Select(a => a.Expression)),
        _ => null,
    };

    private static (int Weights, int Saturating)? Of(ExpressionSyntax value)
    {
        switch (value.WithoutParenthesesOrCasts())
        {
            case InvocationExpressionSyntax call:
                return call.CalledName() switch
                {
                    "Sequential" => Sum(call.ArgumentList.Arguments.Select(a => a.Expression)),
                    "Create" when call.ArgumentList.Arguments.Count == 2 => AtLeastOne(Of(call.ArgumentList.Arguments[1].Expression)), // Tuple.Create("name", layer)
                    "ToArray" or "ToList" or "AsEnumerable" => null, // a local list's layers, filled elsewhere
                    { } name when SaturatingFactories.Contains(name) => (0, 1),
                    { } name when NoWeightFactories.Contains(name) => (0, 0),
                    _ => (1, 0),
                };
            case TupleExpressionSyntax { Arguments.Count: 2 } tuple:
                return Of(tuple.Arguments[1].Expression);
            case ImplicitArrayCreationExpressionSyntax array:
                return Sum(array.Initializer.Expressions);
            case ArrayCreationExpressionSyntax { Initializer: { } elements }:
                return Sum(elements.Expressions);
            case CollectionExpressionSyntax collection:
                return collection.Elements.All(e => e is ExpressionElementSyntax)
                    ? Sum(collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression))
                    : null;
            case BaseObjectCreationExpressionSyntax { Initializer: { } items } when items.Expressions.All(e => e is not InitializerExpressionSyntax):
                return Sum(items.Expressions); // new List<Module> { a, b }
            case BaseObjectCreationExpressionSyntax { Initializer: null, ArgumentList.Arguments: { Count: 2 } arguments }:
                return AtLeastOne(Of(arguments[1].Expression)); // new Tuple<string, Module>("name", layer)
            case BaseObjectCreationExpressionSyntax { Initializer: null }:
                return (1, 0); // one opaque element
            default:
                return null;
        }
    }

    // An element that is a call of another kind is still one layer, of either kind.
    private static (int Weights, int Saturating)? AtLeastOne((int Weights, int Saturating)? bound) =>
        bound is { } known ? (Math.Max(known.Weights, 1), Math.Max(known.Saturating, 1)) : null;

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static (int Weights, int Saturating)? Sum(IEnumerable<ExpressionSyntax> values)
    {
        int weights = 0, saturating = 0;
        foreach (var value in values)
        {
            if (Of(value) is not { } bound)
                return null;
            weights += bound.Weights;
            saturating += bound.Saturating;
        }
        return (weights, saturating);
    }
}
