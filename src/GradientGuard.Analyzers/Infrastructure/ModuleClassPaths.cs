using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Reads the path of a module class from its <c>forward</c>: layers held in fields (typed, or created in a field
/// initializer or constructor) applied through <c>call</c>/<c>forward</c>, and activations applied functionally
/// (<c>torch.sigmoid(x)</c>, <c>nn.functional.tanh(x)</c>, <c>x.sigmoid()</c>), in the order they appear. A forward
/// with a loop or a residual addition is only known at run time or is not a plain chain: null, and the rules stay quiet.
/// </summary>
internal sealed class ModuleClassPaths
{
    private readonly TorchSharpSymbols torch;
    private readonly SequentialPaths sequentials;

    public ModuleClassPaths(TorchSharpSymbols torch, SequentialPaths sequentials)
    {
        this.torch = torch;
        this.sequentials = sequentials;
    }

    /// <summary>Whether this method is the forward of a module class.</summary>
    public bool IsForward(ISymbol symbol) =>
        symbol is IMethodSymbol { Name: "forward", IsStatic: false } method && TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Module);

    public List<LayerElement>? Elements(IOperation forwardBody)
    {
        var model = forwardBody.SemanticModel;
        if (model is null)
            return null;
        var all = forwardBody.Descendants().ToList();
        if (all.Any(o => o is ILoopOperation || o is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add && IsTensor(add.Type)))
            return null;

        var path = new List<LayerElement>();
        foreach (var call in all.OfType<IInvocationOperation>().OrderBy(c => c.Syntax.Span.End))
        {
            var method = call.TargetMethod;
            if (FunctionalActivation(method) is { } activation)
            {
                path.Add(new LayerElement(activation, call.Syntax));
            }
            else if (method.Name is "call" or "forward" && call.Instance.WithoutConversions() is { } instance && MemberOfThis(instance) is { } member)
            {
                if (!AddMember(member, model, path))
                    return null;
            }
            else if (method.Name is "call" or "forward" || (method.ContainingAssembly?.Name != "TorchSharp" && method.Locations.Any(l => l.IsInSource)))
            {
                path.Add(new LayerElement(LayerKind.Opaque, call.Syntax)); // another module or a helper of our own: cannot see through
            }
        }
        return path;
    }

    // torch.sigmoid(x), nn.functional.relu(x), x.tanh(): an activation applied without a module.
    private LayerKind? FunctionalActivation(IMethodSymbol method)
    {
        bool functional = SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Functional) ||
                          SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Torch) ||
                          SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Tensor);
        return !functional ? null : method.Name switch
        {
            "sigmoid" or "tanh" => LayerKind.Saturating,
            "relu" or "relu6" or "leaky_relu" or "gelu" or "silu" or "elu" or "selu" or "celu" or "mish" or "hardswish" => LayerKind.Rectifier,
            _ => null,
        };
    }

    private bool AddMember(ISymbol member, SemanticModel model, List<LayerElement> path)
    {
        var declaredType = member switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null };
        var creation = Creation(member, model);
        var kind = sequentials.Classify(declaredType);
        if (kind == LayerKind.Opaque && creation is not null)
        {
            if (sequentials.IsConstruction(creation))
                return sequentials.Elements(creation) is { } inner && Append(path, inner);
            kind = sequentials.Classify(creation.Type);
        }
        if (kind == LayerKind.Saturating && creation is null)
            return false; // nowhere to point a fix, and no proof of what it holds
        path.Add(new LayerElement(kind, creation?.Syntax ?? member.DeclaringSyntaxReferences[0].GetSyntax(), kind == LayerKind.Saturating ? ActivationTypeSyntax(member) : null, member));
        return true;
    }

    // "Sigmoid act = nn.Sigmoid();": the declared type must change with the value. Only for a lone declarator.
    private TypeSyntax? ActivationTypeSyntax(ISymbol member)
    {
        var declaredType = member switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null };
        if (!TorchSharpSymbols.DerivesFromAny(declaredType, torch.Saturating))
            return null;
        return member.DeclaringSyntaxReferences[0].GetSyntax() switch
        {
            VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } => declaration.Type,
            PropertyDeclarationSyntax property => property.Type,
            _ => null,
        };
    }

    private static bool Append(List<LayerElement> path, List<LayerElement> inner)
    {
        path.AddRange(inner);
        return true;
    }

    // The torch.nn factory (or Sequential construction) a field or property is given, in its initializer or a constructor of the same file.
    private IInvocationOperation? Creation(ISymbol member, SemanticModel model)
    {
        var values = new List<ExpressionSyntax>();
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax())
            {
                case VariableDeclaratorSyntax { Initializer.Value: var value }:
                    values.Add(value);
                    break;
                case PropertyDeclarationSyntax { Initializer.Value: var value }:
                    values.Add(value);
                    break;
            }
        }
        foreach (var constructor in member.ContainingType.InstanceConstructors.SelectMany(c => c.DeclaringSyntaxReferences))
        {
            if (constructor.SyntaxTree != model.SyntaxTree)
                continue;
            values.AddRange(constructor.GetSyntax().DescendantNodes().OfType<AssignmentExpressionSyntax>()
                .Where(a => a.Left is IdentifierNameSyntax { Identifier.ValueText: var name } && name == member.Name ||
                            a.Left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: var accessed } && accessed == member.Name)
                .Select(a => a.Right));
        }
        if (values.Count != 1 || values[0].SyntaxTree != model.SyntaxTree)
            return null;
        return model.GetOperation(values[0]).WithoutConversions() is IInvocationOperation invocation &&
               (SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, torch.Nn) || sequentials.IsConstruction(invocation))
            ? invocation
            : null;
    }

    private static ISymbol? MemberOfThis(IOperation instance) => instance switch
    {
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => property.Property,
        _ => null,
    };

    private bool IsTensor(ITypeSymbol? type) => TorchSharpSymbols.DerivesFrom(type, torch.Tensor);
}
