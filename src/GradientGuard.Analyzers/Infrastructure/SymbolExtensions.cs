using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Small helpers over symbols.</summary>
internal static class SymbolExtensions
{
    /// <summary>The declared type of what holds a layer or a model: a field, a property or a local; null for anything else.</summary>
    public static ITypeSymbol? HeldType(this ISymbol? holder) => holder switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        ILocalSymbol local => local.Type,
        _ => null,
    };
}
