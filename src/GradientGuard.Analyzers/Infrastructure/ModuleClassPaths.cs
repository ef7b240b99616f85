using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Reads the path of a module class from its <c>forward</c>: layers held in fields (typed, or created in a field
/// initializer or constructor) applied through <c>call</c>/<c>forward</c>, and activations applied functionally
/// (<c>torch.sigmoid(x)</c>, <c>nn.functional.tanh(x)</c>, <c>x.sigmoid()</c>), in the order they appear; loops with
/// constant counts unrolled, and a <c>foreach</c> over a ModuleList filled in the constructor replayed layer by layer.
/// A forward with any other loop or a residual addition is only known at run time or is not a plain chain: null, and
/// the rules stay quiet.
/// </summary>
internal sealed class ModuleClassPaths
{
    private readonly TorchSharpSymbols torch;
    private readonly SequentialPaths sequentials;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxNode, List<LayerElement>?> cache = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxNode, bool> mayBePlain = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxNode, (int Weights, int Saturating)?> bounds = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxTree, List<FileBody>> forwards = new();

    private ModuleClassPaths(TorchSharpSymbols torch)
    {
        this.torch = torch;
        sequentials = SequentialPaths.For(torch);
    }

    /// <summary>The compilation's one instance: every rule reads a forward once.</summary>
    public static ModuleClassPaths For(TorchSharpSymbols torch) => torch.Shared(t => new ModuleClassPaths(t));

    /// <summary>
    /// Whether a file's body is the forward of a module class: its declaration is named forward (read first: the owner's
    /// symbol is looked up only then).
    /// </summary>
    public bool IsForward(FileBody body) =>
        body.Operation.Syntax is MethodDeclarationSyntax { Identifier.ValueText: "forward" } && body.Owner is { } owner && IsForward(owner);

    /// <summary>Whether this method is the forward of a module class.</summary>
    public bool IsForward(ISymbol symbol) =>
        symbol is IMethodSymbol { Name: "forward", IsStatic: false } method && TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Module);

    /// <summary>
    /// The forwards of a file's module classes, read at the file's semantic-model action (see <see cref="FileBodies"/>):
    /// only a method named forward is looked up, in a file whose text names one.
    /// </summary>
    public IReadOnlyList<FileBody> Forwards(SemanticModelAnalysisContext file)
    {
        var tree = file.SemanticModel.SyntaxTree;
        if (!ForwardFiles.In(tree))
            return Array.Empty<FileBody>();
        return FileBodies.KeptPerFile(forwards, file, ReadForwards); // for the three rules that read them (GG0001, GG0002, GG0006)
    }

    private List<FileBody> ReadForwards(SemanticModel model, Microsoft.CodeAnalysis.Text.TextSpan? filter, System.Threading.CancellationToken cancellation) =>
        FileBodies.Read(model, filter, body => body is MethodDeclarationSyntax { Identifier.ValueText: "forward" }, cancellation)
            .Where(IsForward)
            .ToList();

    private static readonly SourceMentions ForwardFiles = SourceMentions.AnyOf("forward");

    public List<LayerElement>? Elements(IOperation forwardBody) =>
        cache.GetOrAdd(forwardBody.Syntax, _ => Read(forwardBody)); // a forward is read once per compilation, however many checks ask

    /// <summary>
    /// False when the path of <paramref name="forwardBody"/> is surely no plain chain of layers (it is null, or holds a
    /// normalization or an opaque element): a residual addition, or, outside loops, a call of a helper of the user's or
    /// of a module held in a member whose type is a normalization or a class of the user's. Read from the forward
    /// alone: the full reading binds the members' creations, and the rules that need a long plain path (GG0002's
    /// default init, GG0006) ask this first. Most forwards of real models call a block of their own.
    /// </summary>
    public bool MayBePlain(IOperation forwardBody) =>
        mayBePlain.GetOrAdd(forwardBody.Syntax, _ => !HasResidualAddition(forwardBody) && !CallsSurelyNotPlain(forwardBody));

    /// <summary>
    /// Whether the path of <paramref name="forwardBody"/> may be a plain chain of at least <paramref name="weights"/>
    /// weight layers (<see cref="MayBePlain"/>, and <see cref="Bound"/> does not rule the count out).
    /// </summary>
    public bool MayBeDeepPlain(IOperation forwardBody, int weights) =>
        MayBePlain(forwardBody) && (Bound(forwardBody) is not { } most || most.Weights >= weights);

    /// <summary>
    /// Whether the path of <paramref name="forwardBody"/> may hold a run of <paramref name="activations"/> hidden
    /// Sigmoid/Tanh activations (<see cref="SaturatingRuns"/>: at least that many, between two weight layers), as far as
    /// <see cref="Bound"/> can tell from the forward alone. GG0001 asks this before the full reading.
    /// </summary>
    public bool MayHoldSaturatingRun(IOperation forwardBody, int activations) => SaturatingRuns.MayHold(Bound(forwardBody), activations);

    /// <summary>
    /// The most weight layers and the most Sigmoid/Tanh activations the path of a forward without loops can hold, read
    /// from the forward and the syntax of its members' creations, nothing bound: a call of a member typed as a weight
    /// layer or an activation, or of a ModuleList element of such a type, adds one; a functional sigmoid/tanh adds one
    /// activation; a member of a library base type (<c>Module&lt;Tensor, Tensor&gt;</c>) adds one of either when its one
    /// creation is a call not named Sequential (a factory gives one layer, any other call an opaque element). Null when
    /// a loop, or a member that may be created as a Sequential (of any depth), leaves it open.
    /// </summary>
    private (int Weights, int Saturating)? Bound(IOperation forwardBody) => bounds.GetOrAdd(forwardBody.Syntax, _ =>
    {
        int weights = 0, saturating = 0;
        foreach (var operation in OperationIndex.Descendants(forwardBody))
        {
            if (operation is ILoopOperation)
                return null;
            if (operation is not IInvocationOperation call)
                continue;
            if (FunctionalActivation(call.TargetMethod) == LayerKind.Saturating)
            {
                saturating++;
                continue;
            }
            if (call.TargetMethod.Name is not ("call" or "forward"))
                continue;
            var adds = call.Instance.WithoutConversions() switch
            {
                { } instance when instance.MemberOfThis() is { } member => MemberAdds(member, forwardBody.Syntax.SyntaxTree),
                IPropertyReferenceOperation { Property.IsIndexer: true } element when ModuleListElement(element.Instance) is { } itemType => Adds(sequentials.Classify(itemType)),
                _ => (0, 0), // another module: an opaque element
            };
            if (adds is not { } known)
                return null;
            weights += known.Weights;
            saturating += known.Saturating;
        }
        return (weights, saturating);
    });

    // What one call of a member can add to the path, as AddMember reads it, from syntax: null when its creation may be
    // a Sequential.
    private (int Weights, int Saturating)? MemberAdds(ISymbol member, SyntaxTree tree)
    {
        var declaredType = member.HeldType();
        var kind = sequentials.Classify(declaredType);
        if (kind != LayerKind.Opaque || IsUsersOwnModule(declaredType))
            return Adds(kind); // a class of the user's is an opaque element whatever its creation
        if (sequentials.CreationSyntax(member, tree) is not { } creation)
            return (0, 0); // no single creation in this file: AddMember finds none either, and adds an opaque element
        // A call not named Sequential is a factory's one layer, of either kind, or no creation AddMember accepts.
        return creation.WithoutParenthesesOrCasts() is InvocationExpressionSyntax invocation && invocation.CalledName() is { } name && name != "Sequential"
            ? (1, 1)
            : null;
    }

    private static (int Weights, int Saturating) Adds(LayerKind kind) => kind switch
    {
        LayerKind.Weight => (1, 0),
        LayerKind.Saturating => (0, 1),
        _ => (0, 0),
    };

    // The calls the path reading adds for sure (not those in loops, whose bodies it may replay any number of times).
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private bool CallsSurelyNotPlain(IOperation operation)
    {
        foreach (var child in operation.ChildOperations)
        {
            if (child is ILoopOperation)
                continue;
            if (child is IInvocationOperation call && IsSurelyNotPlain(call) || CallsSurelyNotPlain(child))
                return true;
        }
        return false;
    }

    // What AddCall and AddMember turn into an opaque or a normalization element whatever the member's creation is.
    private bool IsSurelyNotPlain(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        if (method.Name is not ("call" or "forward"))
            return FunctionalActivation(method) is null && method.ContainingAssembly?.Name != "TorchSharp" && method.Locations.Any(l => l.IsInSource);
        if (call.Instance.WithoutConversions().MemberOfThis() is not { } member)
            return false;
        var declaredType = member.HeldType();
        return sequentials.Classify(declaredType) switch
        {
            LayerKind.Normalization => true,
            LayerKind.Opaque => IsUsersOwnModule(declaredType),
            _ => false,
        };
    }

    // A class or struct of the user's: opaque whatever its member's creation, unless a creation from torch.nn converts
    // to it.
    private static bool IsUsersOwnModule(ITypeSymbol? type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named && named.Locations.Any(l => l.IsInSource) &&
        !named.GetMembers().Any(m => m is IMethodSymbol { MethodKind: MethodKind.Conversion });

    // A residual addition is a binary + written in the forward (x + block(x)); a forward whose text holds no '+' has
    // none, and its operations are not walked for one.
    private bool HasResidualAddition(IOperation forwardBody) =>
        TreeText.Contains(TreeText.Of(forwardBody.Syntax.SyntaxTree), forwardBody.Syntax.Span, "+") &&
        OperationIndex.Descendants(forwardBody).Any(o => o is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add && IsTensor(add.Type));

    /// <summary>
    /// The Sequentials held in fields or properties that <paramref name="forwardBody"/> applies: a rule that reports such a
    /// Sequential on its own construction does not report the class's path again for it.
    /// </summary>
    public IEnumerable<IInvocationOperation> AppliedSequentials(IOperation forwardBody) =>
        forwardBody.SemanticModel is not { } model
            ? Enumerable.Empty<IInvocationOperation>()
            : OperationIndex.Invocations(forwardBody)
                .Where(c => c.TargetMethod.Name is "call" or "forward")
                .Select(c => c.Instance.WithoutConversions().MemberOfThis())
                .Where(m => m is not null)
                .Distinct(SymbolEqualityComparer.Default)
                .Select(m => sequentials.MemberCreation(m!, model))
                .OfType<IInvocationOperation>()
                .Where(sequentials.IsConstruction);

    private List<LayerElement>? Read(IOperation forwardBody)
    {
        var model = forwardBody.SemanticModel;
        if (model is null || HasResidualAddition(forwardBody))
            return null;
        var path = new List<LayerElement>();
        return Walk(forwardBody, model, path) ? path : null;
    }

    // The calls of a body in evaluation order; a loop with a count known at compile time is unrolled, a foreach over a
    // ModuleList whose contents are known applies each of its layers in turn, any other loop makes the depth a run-time
    // matter (false). `applied` maps a foreach variable to the layer it holds in the current pass.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private bool Walk(IOperation body, SemanticModel model, List<LayerElement> path, Dictionary<ILocalSymbol, LayerElement>? applied = null)
    {
        var found = new List<IOperation>();
        CallsAndLoops(body, found);
        // In evaluation order: by span end, operations with one span end kept in tree order (a stable sort).
        var keys = new (int End, int Index)[found.Count];
        var items = new IOperation[found.Count];
        for (int i = 0; i < found.Count; i++)
        {
            keys[i] = (found[i].Syntax.Span.End, i);
            items[i] = found[i];
        }
        System.Array.Sort(keys, items);
        foreach (var item in items)
        {
            if (item is IForEachLoopOperation each && ModuleListContents(each, model) is { } layers && LoopVariable(each) is { } variable)
            {
                foreach (var layer in layers)
                {
                    var pass = applied is null ? new Dictionary<ILocalSymbol, LayerElement>(SymbolEqualityComparer.Default) : new Dictionary<ILocalSymbol, LayerElement>(applied, SymbolEqualityComparer.Default);
                    pass[variable] = layer;
                    if (!Walk(each.Body, model, path, pass))
                        return false;
                }
            }
            else if (item is ILoopOperation loop)
            {
                if (Iterations(loop) is not int count)
                    return false;
                var once = new List<LayerElement>();
                if (!Walk(loop.Body, model, once, applied))
                    return false;
                for (int i = 0; i < count; i++)
                    path.AddRange(once);
            }
            else if (!AddCall((IInvocationOperation)item, model, path, applied))
            {
                return false;
            }
        }
        return true;
    }

    private static ILocalSymbol? LoopVariable(IForEachLoopOperation loop) =>
        loop.LoopControlVariable is IVariableDeclaratorOperation declarator ? declarator.Symbol : null;

    // The layers a ModuleList field or property of this class receives in its initializer and its one constructor
    // (in this file), loops replayed; null when not known.
    private List<LayerElement>? ModuleListContents(IForEachLoopOperation loop, SemanticModel model)
    {
        var collection = loop.Collection.WithoutConversions();
        if (collection.MemberOfThis() is not { } member || ModuleListElement(collection) is null)
            return null;
        var constructors = member.ContainingType.InstanceConstructors.SelectMany(c => c.DeclaringSyntaxReferences).ToList();
        if (constructors.Count > 1 || constructors.Any(c => c.SyntaxTree != model.SyntaxTree))
            return null;
        var bodies = member.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax() switch
            {
                VariableDeclaratorSyntax { Initializer: { } value } => value,
                PropertyDeclarationSyntax { Initializer: { } value } => value,
                _ => (SyntaxNode?)null,
            })
            .Concat(constructors.Select(c => c.GetSyntax()))
            .Where(n => n is not null && n.SyntaxTree == model.SyntaxTree)
            .Select(n => model.GetOperation(n!))
            .ToList();
        return bodies.All(b => b is not null) ? sequentials.Contents(member, bodies!) : null;
    }

    private bool AddCall(IInvocationOperation call, SemanticModel model, List<LayerElement> path, Dictionary<ILocalSymbol, LayerElement>? applied)
    {
        var method = call.TargetMethod;
        if (FunctionalActivation(method) is { } activation)
        {
            path.Add(new LayerElement(activation, call.Syntax));
            return true;
        }
        if (method.Name is not ("call" or "forward"))
        {
            if (method.ContainingAssembly?.Name != "TorchSharp" && method.Locations.Any(l => l.IsInSource))
                path.Add(new LayerElement(LayerKind.Opaque, call.Syntax)); // a helper of our own: cannot see through
            return true;
        }
        switch (call.Instance.WithoutConversions())
        {
            case { } instance when instance.MemberOfThis() is { } member:
                return AddMember(member, model, path);
            case IPropertyReferenceOperation { Property.IsIndexer: true } element when ModuleListElement(element.Instance) is { } itemType:
                path.Add(new LayerElement(sequentials.Classify(itemType), call.Syntax)); // layers[i].call(x)
                return true;
            case ILocalReferenceOperation local when applied is not null && applied.TryGetValue(local.Local, out var layer):
                path.Add(layer); // foreach (var layer in layers) layer.call(x), the ModuleList's contents known
                return true;
            case ILocalReferenceOperation { Local.IsForEach: true } local:
                path.Add(new LayerElement(sequentials.Classify(local.Type), call.Syntax)); // foreach (var layer in layers) layer.call(x)
                return true;
            default:
                path.Add(new LayerElement(LayerKind.Opaque, call.Syntax)); // another module: cannot see through
                return true;
        }
    }

    // for (int i = 0; i < N; i++) with constant bounds.
    private static int? Iterations(ILoopOperation loop)
    {
        const int MaxUnrolled = 256;
        int? count = loop is IForLoopOperation forLoop ? ConstantCount(forLoop) : null;
        return count is >= 0 and <= MaxUnrolled ? count : null;
    }

    private static int? ConstantCount(IForLoopOperation loop)
    {
        var counter = loop.Before.Length == 1 && loop.Before[0] is IVariableDeclarationGroupOperation { Declarations.Length: 1 } group &&
                      group.Declarations[0].Declarators.Length == 1
            ? group.Declarations[0].Declarators[0]
            : null;
        if (counter?.GetVariableInitializer()?.Value.ConstantValue is not { HasValue: true, Value: int start } ||
            loop.Condition is not IBinaryOperation { LeftOperand: ILocalReferenceOperation left, RightOperand.ConstantValue: { HasValue: true, Value: int end } } condition ||
            !SymbolEqualityComparer.Default.Equals(left.Local, counter.Symbol) ||
            loop.AtLoopBottom.Length != 1 ||
            loop.AtLoopBottom[0] is not IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation { Kind: OperationKind.Increment } })
        {
            return null;
        }
        return condition.OperatorKind switch
        {
            BinaryOperatorKind.LessThan => end - start,
            BinaryOperatorKind.LessThanOrEqual => end - start + 1,
            _ => null,
        };
    }

    // ModuleList<T> (a field, or an element access on one): T.
    private static ITypeSymbol? ModuleListElement(IOperation? collection) =>
        collection.WithoutConversions()?.Type is INamedTypeSymbol { Name: "ModuleList", Arity: 1 } list && list.ContainingAssembly?.Name == "TorchSharp"
            ? list.TypeArguments[0]
            : null;

    // The calls and loops below `operation` in tree order, not entering loops (a loop's calls are its own walk's).
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static void CallsAndLoops(IOperation operation, List<IOperation> found)
    {
        foreach (var child in operation.ChildOperations)
        {
            if (child is ILoopOperation or IInvocationOperation)
                found.Add(child);
            if (child is not ILoopOperation)
                CallsAndLoops(child, found);
        }
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
        var declaredType = member.HeldType();
        var creation = sequentials.MemberCreation(member, model);
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
        var declaredType = member.HeldType();
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

    private bool IsTensor(ITypeSymbol? type) => TorchSharpSymbols.DerivesFrom(type, torch.Tensor);
}
