using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>Where an observed diagnostic goes, and what its fix needs; see <see cref="ModelPlacement"/>.</summary>
internal sealed class Placement
{
    public Placement(Location location, IReadOnlyList<Location> additional, ImmutableDictionary<string, string?>? properties = null)
    {
        Location = location;
        Additional = additional;
        Properties = properties ?? ImmutableDictionary<string, string?>.Empty;
    }

    /// <summary>What the static fix reads (GG0002: the init plan).</summary>
    public ImmutableDictionary<string, string?> Properties { get; }

    public Location Location { get; }

    /// <summary>What the static fix rewrites (GG0001: the hidden saturating activations); empty when it has nothing to rewrite.</summary>
    public IReadOnlyList<Location> Additional { get; }
}

/// <summary>
/// Maps a finding to the model class that was trained, from the layer names <c>named_modules()</c> gave at run time:
/// a field or auto-property RegisterComponents() registered (by its name, <c>[ComponentName]</c>, or the backing field's
/// <c>&lt;P&gt;k__BackingField</c>), a Sequential element by its tuple name or index, a layer of a ModuleList filled in a
/// loop (its Add argument), a submodule's own field. The diagnostic goes on the first layer it can place, the most
/// specific declaration it can prove; else on the class. Returns null when the finding is stale: a layer no longer
/// exists or has a type that cannot hold the trained one (a field of a base type or interface of it can), the class's
/// registered children differ from the trained model's, or the cause was fixed (the hidden Sigmoid/Tanh activations are
/// gone, the layers are now initialized).
/// </summary>
internal sealed class ModelPlacement
{
    private readonly TorchSharpSymbols torch;
    private readonly SequentialPaths sequentials;
    private readonly ModuleClassPaths classes;
    private readonly SemanticModel model;
    private readonly AnalyzerOptions options;
    private readonly CancellationToken cancellation;

    public ModelPlacement(TorchSharpSymbols torch, SemanticModel model, AnalyzerOptions options, CancellationToken cancellation)
    {
        this.options = options;
        this.torch = torch;
        sequentials = SequentialPaths.For(torch);
        classes = ModuleClassPaths.For(torch);
        this.model = model;
        this.cancellation = cancellation;
    }

    public Placement? Place(ObservedFinding finding, INamedTypeSymbol type)
    {
        var declaration = type.DeclaringSyntaxReferences.FirstOrDefault(r => r.SyntaxTree == model.SyntaxTree)?.GetSyntax(cancellation) as TypeDeclarationSyntax;
        if (declaration is null || ShapeChanged(finding, type))
            return null;

        Location? location = null;
        foreach (var layer in finding.Layers)
        {
            var resolved = Resolve(type, layer.Name.Split('.'), 0);
            if (resolved is null)
                return null; // the layer is gone
            var (node, layerType) = resolved.Value;
            if (layer.Type.Length > 0 && layerType is not null && CannotHold(layerType, layer.Type))
                return null; // the layer is of another type now: the model changed
            location ??= node is null ? null : NameOf(node);
        }
        location ??= declaration.Identifier.GetLocation();

        switch (finding.Rule)
        {
            case "GG0001":
                var paths = Paths(type, declaration);
                if (paths.Count == 0)
                    return new Placement(location, System.Array.Empty<Location>()); // the path is not known from source: no fix to offer
                var run = SaturatingRun(paths);
                return run.Count == 0 ? null : new Placement(location, run); // no hidden Sigmoid/Tanh left: fixed
            case "GG0002":
                if (Initialized(declaration))
                    return null; // the layers are initialized now: fixed
                var forward = Paths(type, declaration);
                return new Placement(location, System.Array.Empty<Location>(),
                    forward.Count == 1 ? Rules.GG0002InitializationAnalyzer.InitFixProperties(forward[0], model, options, cancellation) : null);
            default:
                return new Placement(location, System.Array.Empty<Location>());
        }
    }

    // Whether a layer declared (or created) with this type cannot be the trained layer of the recorded type: a field
    // declared with a base type or interface (nn.Module rnn, Module<Tensor, Tensor> layer) holds what was trained when the
    // recorded type derives from or implements it. A recorded type this compilation cannot resolve (a generic with
    // assembly-qualified arguments, a type of an unreferenced assembly) is judged by name, for concrete TorchSharp
    // declarations only.
    private bool CannotHold(ITypeSymbol declared, string recorded)
    {
        if (declared is INamedTypeSymbol named && FullName(named) == recorded)
            return false;
        if (model.Compilation.GetTypeByMetadataName(recorded) is { } trained)
            return !IsOrDerives(trained, declared);
        return declared is INamedTypeSymbol { IsAbstract: false } known && known.ContainingAssembly?.Name == "TorchSharp";
    }

    private static bool IsOrDerives(INamedTypeSymbol trained, ITypeSymbol declared)
    {
        for (ITypeSymbol? current = trained; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, declared))
                return true;
        }
        return trained.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, declared));
    }

    private static string FullName(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");

    // The trained model's children against the fields and auto-properties RegisterComponents() would register now. A class
    // that registers modules by hand (register_module, add_module) has children no field shows: then only the layers count.
    private bool ShapeChanged(ObservedFinding finding, INamedTypeSymbol type)
    {
        if (finding.Children is not { } recorded)
            return false;
        var source = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellation).ToString()).ToList();
        if (source.Any(s => s.Contains("register_module") || s.Contains("add_module")))
            return false;
        var now = new HashSet<string>(RegisteredMembers(type).Select(m => m.Name));
        return !now.SetEquals(recorded.Select(c => c.Name));
    }

    // Instance fields and auto-properties of module type, on the class and its source base classes, by registered name.
    private IEnumerable<(string Name, ISymbol Member)> RegisteredMembers(INamedTypeSymbol type)
    {
        for (var current = type; current is not null && current.Locations.Any(l => l.IsInSource); current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic)
                    continue;
                if (member is IFieldSymbol { IsImplicitlyDeclared: false } field && TorchSharpSymbols.DerivesFrom(field.Type, torch.Module))
                    yield return (ComponentName(field) ?? field.Name, field);
                else if (member is IPropertySymbol property && IsAutoProperty(property) && TorchSharpSymbols.DerivesFrom(property.Type, torch.Module))
                    yield return (ComponentName(property) ?? "<" + property.Name + ">k__BackingField", property);
            }
        }
    }

    private static bool IsAutoProperty(IPropertySymbol property) =>
        property.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<PropertyDeclarationSyntax>()
            .Any(p => p.AccessorList is { } accessors && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null));

    private static string? ComponentName(ISymbol member) =>
        member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "ComponentNameAttribute")?
            .NamedArguments.FirstOrDefault(n => n.Key == "Name").Value.Value as string;

    // One named_modules() name, part by part, from a class: the syntax it is declared or created at (null for the class
    // itself) and the type it has; null when some part names nothing there.
    private (SyntaxNode? Node, ITypeSymbol? Type)? Resolve(INamedTypeSymbol type, string[] parts, int index)
    {
        if (parts.Length == 1 && parts[0] == "(root)")
            return (null, type);
        var member = RegisteredMembers(type).Where(m => m.Name == parts[index]).Select(m => m.Member).FirstOrDefault();
        if (member is null)
            return null;
        var declared = member.DeclaringSyntaxReferences[0].GetSyntax(cancellation);
        var creation = member.DeclaringSyntaxReferences[0].SyntaxTree == model.SyntaxTree ? sequentials.MemberCreation(member, model) : null;
        var memberType = creation?.Type ?? (member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type);
        if (index == parts.Length - 1)
            return (declared, memberType);
        if (creation is not null && sequentials.IsConstruction(creation))
            return Element(creation, parts, index + 1) ?? (declared, null);
        if (memberType is INamedTypeSymbol { Name: "ModuleList", Arity: 1 } && ListElement(member, parts[index + 1]) is { } element)
            return index + 1 == parts.Length - 1 ? (element.Syntax, element.Type) : (element.Syntax, null);
        if (memberType is INamedTypeSymbol nested && nested.Locations.Any(l => l.IsInSource) && TorchSharpSymbols.DerivesFrom(nested, torch.Module))
            return Resolve(nested, parts, index + 1);
        return (declared, null); // deeper than the source shows: the member is the most specific place provable
    }

    // A Sequential's element by its tuple name or, unnamed, its index (how Sequential registers them).
    private (SyntaxNode? Node, ITypeSymbol? Type)? Element(IInvocationOperation sequential, string[] parts, int index)
    {
        var elements = new List<(string Name, IOperation Module)>();
        foreach (var argument in sequential.Arguments)
        {
            var value = argument.Value.WithoutConversions();
            IEnumerable<IOperation> items = value is IArrayCreationOperation { Initializer: { } initializer } && argument.ArgumentKind == ArgumentKind.ParamArray
                ? initializer.ElementValues
                : new[] { value! };
            foreach (var item in items.Select(i => i.WithoutConversions()!))
            {
                switch (item)
                {
                    case ITupleOperation { Elements.Length: 2 } tuple when tuple.Elements[0].ConstantValue.Value is string name:
                        elements.Add((name, tuple.Elements[1].WithoutConversions()!));
                        break;
                    case IObjectCreationOperation { Arguments.Length: 2 } pair when pair.Arguments[0].Value.ConstantValue.Value is string name:
                        elements.Add((name, pair.Arguments[1].Value.WithoutConversions()!));
                        break;
                    case IInvocationOperation { TargetMethod.Name: "Create", Arguments.Length: 2 } pair when pair.Arguments[0].Value.ConstantValue.Value is string name:
                        elements.Add((name, pair.Arguments[1].Value.WithoutConversions()!));
                        break;
                    default:
                        elements.Add((elements.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), item));
                        break;
                }
            }
        }
        var match = elements.Where(e => e.Name == parts[index]).Select(e => e.Module).FirstOrDefault();
        if (match is null)
            return elements.Any(e => e.Module is ILocalReferenceOperation) ? ((SyntaxNode?, ITypeSymbol?)?)(sequential.Syntax, null) : null; // Sequential(list): not followed
        if (index == parts.Length - 1)
            return (match.Syntax, match.Type);
        return match is IInvocationOperation inner && sequentials.IsConstruction(inner) ? Element(inner, parts, index + 1) : (match.Syntax, null);
    }

    // The index-th layer a ModuleList field receives in the class's initializers and constructor (loops replayed): a layer
    // built in a loop is the Add argument in that loop.
    private (SyntaxNode Syntax, ITypeSymbol? Type)? ListElement(ISymbol member, string index)
    {
        if (!int.TryParse(index, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i))
            return null;
        // The field's initializer first (it creates the list), then the constructors that fill it.
        var initializers = member.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellation) switch
        {
            VariableDeclaratorSyntax { Initializer: { } value } => value,
            PropertyDeclarationSyntax { Initializer: { } value } => value,
            _ => (SyntaxNode?)null,
        });
        var bodies = initializers
            .Concat(member.ContainingType.InstanceConstructors.SelectMany(c => c.DeclaringSyntaxReferences).Select(r => r.GetSyntax(cancellation)))
            .Where(n => n is not null && n.SyntaxTree == model.SyntaxTree)
            .Select(n => model.GetOperation(n!, cancellation))
            .Where(o => o is not null)
            .ToList();
        var values = CollectionFill.Replay(member, bodies!);
        return values is not null && i < values.Count ? (values[i].Syntax, values[i].WithoutConversions()?.Type) : null;
    }

    private static Location NameOf(SyntaxNode node) => node switch
    {
        VariableDeclaratorSyntax declarator => declarator.Identifier.GetLocation(),
        PropertyDeclarationSyntax property => property.Identifier.GetLocation(),
        _ => node.GetLocation(),
    };

    // The class's path: its forward, else the Sequentials it holds; none when not known from source.
    private List<List<LayerElement>> Paths(INamedTypeSymbol type, TypeDeclarationSyntax declaration)
    {
        var forward = declaration.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.ValueText == "forward" && !m.Modifiers.Any(t => t.ValueText == "static"));
        var paths = new List<List<LayerElement>>();
        if (forward is not null && model.GetOperation(forward, cancellation) is { } body && classes.Elements(body) is { } path)
        {
            paths.Add(path);
            return paths;
        }
        foreach (var (_, member) in RegisteredMembers(type))
        {
            if (member.DeclaringSyntaxReferences[0].SyntaxTree == model.SyntaxTree && sequentials.MemberCreation(member, model) is { } creation &&
                sequentials.IsConstruction(creation) && sequentials.Elements(creation) is { } held)
            {
                paths.Add(held);
            }
        }
        return paths;
    }

    // The hidden Sigmoid/Tanh activations of the longest run, where the GG0001 fix rewrites them: as GG0001 reports them,
    // each place once, in source order.
    private static List<Location> SaturatingRun(List<List<LayerElement>> paths)
    {
        var run = paths.Select(p => SaturatingRuns.Longest(p)).OrderByDescending(r => r.Count).First();
        return run.Select(e => e.Syntax).Concat(run.Select(e => e.DeclaredType)).Where(n => n is not null).Distinct()
            .OrderBy(n => n!.SpanStart).Select(n => n!.GetLocation()).ToList();
    }

    // Whether the class now sets its layers' weights (an init call, apply(), a weight assignment, a load): the GG0002 fix,
    // or the user's own, has been applied.
    private bool Initialized(TypeDeclarationSyntax declaration)
    {
        var bodies = declaration.Members
            .Where(m => m is BaseMethodDeclarationSyntax or FieldDeclarationSyntax)
            .Select(m => model.GetOperation(m is FieldDeclarationSyntax field ? field.Declaration.Variables.FirstOrDefault()?.Initializer?.Value ?? (SyntaxNode)m : m, cancellation))
            .Where(o => o is not null)
            .ToList();
        return InitCalls.Find(bodies!, torch).Count > 0 || bodies.Any(b => ElsewhereInitialization.In(b!));
    }
}
