using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Where an optimizer's parameters come from, as far as the code that created it shows.</summary>
internal sealed class OptimizerOrigin
{
    private static readonly OptimizerOrigin Unknown = new(null, null, false);

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

    /// <summary>The symbol of the model the optimizer was built from (<c>model</c> in <c>Adam(model.parameters())</c>), when known.</summary>
    public ISymbol? Model => ReferencedSymbol(ParametersOwner(Parameters));

    /// <summary>
    /// The origin of the optimizer <paramref name="optimizer"/> refers to: its creation in the same body, or, for a field
    /// or property, an assignment or initializer in its type's declaration in the same file (a constructor or a setup
    /// method). Unknown for a parameter, a factory of the user's, or a creation in another file.
    /// </summary>
    public static OptimizerOrigin Find(IOperation? optimizer, IOperation root, TorchSharpSymbols torch)
    {
        var symbol = ReferencedSymbol(optimizer);
        if (symbol is null)
            return Unknown;
        var creation = Creation(root, symbol);
        if (creation is null && symbol is IFieldSymbol or IPropertySymbol && optimizer!.SemanticModel is { } model)
            creation = MemberCreation(symbol, model);
        var arguments = creation.WithoutConversions() switch
        {
            IInvocationOperation i when FromTorchSharp(i.TargetMethod) && TorchSharpSymbols.DerivesFrom(i.TargetMethod.ReturnType, torch.Optimizer) => i.Arguments,
            IObjectCreationOperation c when TorchSharpSymbols.DerivesFrom(c.Type, torch.Optimizer) => c.Arguments,
            _ => default,
        };
        if (arguments.IsDefaultOrEmpty)
            return Unknown;

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

    /// <summary>The symbol an expression names (see <see cref="OperationExtensions.ReferencedSymbol"/>).</summary>
    public static ISymbol? ReferencedSymbol(IOperation? operation) => operation.ReferencedSymbol();

    // A user's factory (MakeOptimizer(model)) could build its optimizer from anything: only TorchSharp's own are read.
    private static bool FromTorchSharp(IMethodSymbol method) => method.ContainingAssembly?.Name == "TorchSharp";

    private static IOperation? Creation(IOperation root, ISymbol symbol) =>
        OperationIndex.Descendants(root)
            .Select(o => o switch
            {
                IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, symbol) => d.GetVariableInitializer()?.Value,
                ISimpleAssignmentOperation a when SymbolEqualityComparer.Default.Equals(ReferencedSymbol(a.Target), symbol) => a.Value,
                _ => null,
            })
            .FirstOrDefault(v => v is not null);

    // The field's or property's initializer, or the first assignment to it in its type's declaration in this file:
    // a syntax search by name finds the few candidates, which alone are bound.
    private static IOperation? MemberCreation(ISymbol member, SemanticModel model)
    {
        foreach (var declaration in member.ContainingType.DeclaringSyntaxReferences.Where(r => r.SyntaxTree == model.SyntaxTree).Select(r => r.GetSyntax()))
        {
            foreach (var node in declaration.DescendantNodes().Where(n => NamesMember(n, member.Name)))
            {
                var operation = model.GetOperation(node);
                var value = operation switch
                {
                    ISimpleAssignmentOperation a when SymbolEqualityComparer.Default.Equals(ReferencedSymbol(a.Target), member) => a.Value,
                    IFieldInitializerOperation f when f.InitializedFields.Contains(member, SymbolEqualityComparer.Default) => f.Value,
                    IPropertyInitializerOperation p when p.InitializedProperties.Contains(member, SymbolEqualityComparer.Default) => p.Value,
                    _ => null,
                };
                if (value is not null)
                    return value;
            }
        }
        return null;
    }

    private static bool NamesMember(SyntaxNode node, string name) => node switch
    {
        AssignmentExpressionSyntax { Left: var left } => LastName(left) == name,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => declarator.Identifier.ValueText == name,
        EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax property } => property.Identifier.ValueText == name,
        _ => false,
    };

    private static string? LastName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        _ => null,
    };
}
