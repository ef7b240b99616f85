using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0009: a field of a Module subclass typed <c>List&lt;T&gt;</c>, <c>T[]</c> or <c>Dictionary&lt;K, T&gt;</c> of modules or
/// parameters, whose elements the class never passes to register_module/register_parameter/add_module.
/// RegisterComponents() only registers fields typed Module or Parameter (and ModuleList, ModuleDict, ParameterList), so
/// these layers are missing from parameters(): no optimizer updates them, and .to(device) leaves them behind.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0009UnregisteredLayersAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: List, Array or Dictionary, the container the field uses.</summary>
    public const string ContainerProperty = "Container";

    /// <summary>Diagnostic property: Module or Parameter, what the container holds.</summary>
    public const string ElementProperty = "Element";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.UnregisteredLayers,
        title: "Layers that are never registered, so never trained",
        messageFormat: "'{0}' holds {1} in a {2} that RegisterComponents() skips: they are missing from parameters(), get no optimizer updates and stay behind on .to(device); use {3}",
        Categories.Architecture,
        RuleLevel.BuildWarning,
        description: "Only fields typed Module, Parameter, ModuleList, ModuleDict or ParameterList are registered.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch) =>
        context.RegisterSymbolAction(symbolContext =>
        {
            var field = (IFieldSymbol)symbolContext.Symbol;
            // The field's own type first: most fields are no list, array or dictionary, and that test reads no base type.
            if (field.IsStatic || Container(field.Type) is not { } container || !TorchSharpSymbols.DerivesFrom(field.ContainingType, torch.Module))
                return;
            bool parameters = TorchSharpSymbols.DerivesFrom(container.Element, torch.Parameter);
            if (!parameters && !TorchSharpSymbols.DerivesFrom(container.Element, torch.Module))
                return;
            if (RegisteredByHand(field))
                return;

            string replacement = parameters ? "ParameterList" : container.Kind == "Dictionary" ? "ModuleDict<T>" : "ModuleList<T>";
            string what = parameters ? "parameters" : "modules";
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(ContainerProperty, container.Kind)
                .Add(ElementProperty, parameters ? "Parameter" : "Module");
            symbolContext.ReportDiagnostic(Diagnostic.Create(Rule, field.Locations[0], properties, field.Name, what, container.Kind == "Array" ? "array" : container.Kind, replacement));
        }, SymbolKind.Field);

    // List<T>, T[] or Dictionary<K, T>, with T.
    private static (string Kind, ITypeSymbol Element)? Container(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol { Rank: 1 } array => ("Array", array.ElementType),
        INamedTypeSymbol { Name: "List", Arity: 1 } list when InCollections(list) => ("List", list.TypeArguments[0]),
        INamedTypeSymbol { Name: "Dictionary", Arity: 2 } dictionary when InCollections(dictionary) => ("Dictionary", dictionary.TypeArguments[1]),
        _ => null,
    };

    // System.Collections.Generic, read name by name (a display string was built for every list and dictionary field).
    private static bool InCollections(INamedTypeSymbol type) =>
        type.ContainingNamespace is { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

    // register_module("fc" + i, layers[i]), or register_module inside foreach (var l in layers): registered by hand.
    private static bool RegisteredByHand(IFieldSymbol field) =>
        field.ContainingType.DeclaringSyntaxReferences
            .SelectMany(r => r.GetSyntax().DescendantNodes().OfType<InvocationExpressionSyntax>())
            .Where(IsRegistration)
            .Any(call => Mentions(call.ArgumentList, field.Name) ||
                         call.Ancestors().OfType<ForEachStatementSyntax>().Any(loop => Mentions(loop.Expression, field.Name)));

    private static bool IsRegistration(InvocationExpressionSyntax call) => call.Expression switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText is "register_module" or "register_parameter" or "add_module",
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText is "register_module" or "register_parameter" or "add_module",
        _ => false,
    };

    private static bool Mentions(SyntaxNode node, string name) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name);
}
