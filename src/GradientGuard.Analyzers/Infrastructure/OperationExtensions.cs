using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Small helpers over IOperation shared by the rules.</summary>
internal static class OperationExtensions
{
    /// <summary>The operation under any implicit or explicit conversions.</summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static IOperation? WithoutConversions(this IOperation? operation)
    {
        while (operation is IConversionOperation conversion)
            operation = conversion.Operand;
        return operation;
    }

    /// <summary>The local, parameter, field or property an expression names (under conversions), or null.</summary>
    public static ISymbol? ReferencedSymbol(this IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation l => l.Local,
        IParameterReferenceOperation p => p.Parameter,
        IFieldReferenceOperation f => f.Field,
        IPropertyReferenceOperation p => p.Property,
        _ => null,
    };

    /// <summary>A field or property of this instance (<c>layers</c>, <c>this.layers</c>) an expression names, or null.</summary>
    public static ISymbol? MemberOfThis(this IOperation? operation) => operation switch
    {
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => property.Property,
        _ => null,
    };

    /// <summary>The outermost operation of the tree this one belongs to (the method body, or a field initializer).</summary>
    public static IOperation Root(this IOperation operation)
    {
        while (operation.Parent is not null)
            operation = operation.Parent;
        return operation;
    }
}
