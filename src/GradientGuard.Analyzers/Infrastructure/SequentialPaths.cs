using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Reads the layers of a <c>Sequential</c> in every form real code uses: the factory's params of modules or of
/// <c>("name", module)</c> / <c>Tuple</c> pairs, a <c>List</c> filled and then passed, a derived class's
/// <c>: base(...)</c>, nested Sequentials, a list or array filled by loops with constant counts. Returns null when the
/// layers are only known at run time (a depth passed in, an array built elsewhere): then the rules stay quiet and the
/// runtime monitor covers it.
/// </summary>
internal sealed class SequentialPaths
{
    private readonly TorchSharpSymbols torch;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxNode, List<LayerElement>?> cache = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, LayerKind> kinds = new(SymbolEqualityComparer.Default);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ISymbol Member, SyntaxTree Tree), IInvocationOperation?> creations = new(SymbolInFile.Comparer);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ISymbol Type, SyntaxTree Tree), Dictionary<string, List<ExpressionSyntax>>> assignments = new(SymbolInFile.Comparer);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SyntaxTree, List<IInvocationOperation>> constructions = new();

    private SequentialPaths(TorchSharpSymbols torch) => this.torch = torch;

    /// <summary>The compilation's one instance: every rule reads a Sequential once.</summary>
    public static SequentialPaths For(TorchSharpSymbols torch) => torch.Shared(t => new SequentialPaths(t));

    // A Sequential is built by a call named Sequential (a method name cannot be aliased) or by ": base(...)" in a class
    // whose base list names Sequential, in the file itself unless a global using alias names it in another file.
    private static readonly SourceMentions SequentialFiles = SourceMentions.AnyOf("Sequential");

    /// <summary>
    /// Registers <paramref name="action"/> for each Sequential construction (<see cref="IsConstruction"/>) of a file, at
    /// the file's semantic-model action (after the driver has bound its bodies, see <see cref="FileBodies"/>). A file's
    /// constructions are read once for every rule that asks, and only in bodies whose syntax can hold one (see
    /// <see cref="MayConstruct"/>); files that never name Sequential are not read, unless a global using alias names it in
    /// another file (a class deriving from the alias calls <c>base(...)</c>).
    /// </summary>
    public void RegisterForConstructions(CompilationStartAnalysisContext context, Action<SemanticModelAnalysisContext, IInvocationOperation> action)
    {
        bool aliased = TreeText.GlobalUsingsMention(context.Compilation, "Sequential");
        LastFileCaches.RegisterFileAction(context, file =>
        {
            if (!aliased && !SequentialFiles.In(file.SemanticModel.SyntaxTree))
                return;
            foreach (var construction in FileBodies.KeptPerFile(constructions, file, ConstructionsIn))
                action(file, construction);
        });
    }

    private List<IInvocationOperation> ConstructionsIn(SemanticModel model, Microsoft.CodeAnalysis.Text.TextSpan? filter, System.Threading.CancellationToken cancellation) =>
        FileBodies.Read(model, filter, MayConstruct, cancellation)
            .SelectMany(body => Searched(body.Operation, cancellation).Where(IsConstruction))
            .ToList();

    // A constructor's base call is searched whatever its text (most constructors of module classes call base("name") and
    // create their layers in the body); the rest of a body whose text names Sequential, only at the calls that name it.
    private static IEnumerable<IInvocationOperation> Searched(IOperation body, System.Threading.CancellationToken cancellation)
    {
        var baseCall = body is IConstructorBodyOperation { Initializer: { } initializer }
            ? initializer.DescendantsAndSelf().OfType<IInvocationOperation>()
            : Enumerable.Empty<IInvocationOperation>();
        if (!SequentialFiles.In(body.Syntax))
            return baseCall;
        // A type's body (a primary constructor's base call) or a file's (top-level statements) spans other members' text
        // too: such a body is walked whole, as before; the members are read as bodies of their own.
        if (body.Syntax is TypeDeclarationSyntax or CompilationUnitSyntax || body.SemanticModel is not { } model)
            return OperationIndex.Invocations(body);
        // GetOperation gives the operations of the body's own tree, the objects the base call's search gives: Distinct
        // drops a Sequential both find (one handed to a base constructor).
        return baseCall.Concat(NamedCalls(body, model, cancellation)).Distinct();
    }

    // The calls of a member's body whose callee names Sequential, each looked up in the body's operation tree instead of
    // walking all of it. A method's name cannot be aliased, so every call of nn.Sequential writes it as a whole
    // identifier (TreeText.CodeNames): `Sequential(...)` under `using static`, `X.Sequential(...)`, either as a method
    // group in parentheses or checked(...) before its argument list (`((nn.Sequential))(...)`; nn is a static class,
    // never the receiver of `?.`). A body that names Sequential only inside longer names holds none.
    private static IEnumerable<IInvocationOperation> NamedCalls(IOperation body, SemanticModel model, System.Threading.CancellationToken cancellation)
    {
        foreach (var name in TreeText.CodeNames(body.Syntax, body.Syntax.Span, "Sequential"))
        {
            if (name.CallNamedBy() is { } call && model.GetOperation(call, cancellation) is IInvocationOperation invocation)
                yield return invocation;
        }
    }

    // A call named Sequential (its text names it: a method name cannot be aliased), a constructor's ": base(...)" or a
    // primary constructor's base call (its body's syntax is the type's).
    private static bool MayConstruct(SyntaxNode body) =>
        body is TypeDeclarationSyntax or ConstructorDeclarationSyntax { Initializer.ThisOrBaseKeyword.ValueText: "base" } ||
        SequentialFiles.In(body);

    /// <summary>Whether the call builds a Sequential: <c>nn.Sequential(...)</c> or a Sequential constructor (<c>: base(...)</c>).</summary>
    public bool IsConstruction(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        return method.MethodKind == MethodKind.Constructor
            ? SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Sequential)
            : method.Name == "Sequential" && SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Nn);
    }

    /// <summary>
    /// The narrowest place that names a Sequential construction: the method name, the base keyword of ": base(...)", or
    /// the base type of a primary constructor's ": Sequential(...)".
    /// </summary>
    public static Location NameLocation(SyntaxNode construction) => construction switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.GetLocation(),
        InvocationExpressionSyntax { Expression: var expression } => expression.GetLocation(),
        ConstructorInitializerSyntax initializer => initializer.ThisOrBaseKeyword.GetLocation(),
        PrimaryConstructorBaseTypeSyntax primary => primary.Type.GetLocation(),
        _ => construction.GetLocation(),
    };

    /// <summary>Whether this Sequential is itself an element of an enclosing one (then the enclosing one is analyzed).</summary>
    public bool IsNested(IInvocationOperation sequential)
    {
        for (var parent = sequential.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case IInvocationOperation outer when IsConstruction(outer):
                    return true;
                case IArgumentOperation:
                case IArrayInitializerOperation:
                case IArrayCreationOperation:
                case ITupleOperation:
                case IConversionOperation:
                case IObjectCreationOperation:
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>The flattened path of a Sequential construction, or null when it is only known at run time.</summary>
    public List<LayerElement>? Elements(IInvocationOperation sequential)
    {
        if (cache.TryGetValue(sequential.Syntax, out var known))
            return known; // rules ask for the same Sequential more than once
        reading ??= new HashSet<SyntaxNode>();
        if (!reading.Add(sequential.Syntax))
            return null; // a Sequential that holds itself through a field (model = Sequential(model, ...)): no path
        try
        {
            return cache.GetOrAdd(sequential.Syntax, _ => Read(sequential));
        }
        finally
        {
            reading.Remove(sequential.Syntax);
        }
    }

    // The Sequentials being read on this thread: a field's creation can lead back to the Sequential that holds it.
    [System.ThreadStatic]
    private static HashSet<SyntaxNode>? reading;

    private List<LayerElement>? Read(IInvocationOperation sequential)
    {
        var path = new List<LayerElement>();
        foreach (var argument in sequential.Arguments)
        {
            if (!Add(argument.Value, path, sequential))
                return null;
        }
        return path;
    }

    /// <summary>The kind of a module of this type.</summary>
    public LayerKind Classify(ITypeSymbol? type) =>
        type is null ? ClassifyType(null) : kinds.GetOrAdd(type, ClassifyType); // each test walks the base chain: once per type

    private LayerKind ClassifyType(ITypeSymbol? type)
    {
        // One walk of the base chain against a table of the known types (it was one walk per known type): a kind found
        // anywhere in the chain counts, weight layers first, as the rules read a layer.
        LayerKind? known = null;
        bool sequential = false;
        for (var current = type; current is not null; current = current.BaseType)
        {
            var definition = current.OriginalDefinition;
            if (torch.LayerKinds.TryGetValue(definition, out var kind) && (known is not { } found || Rank(kind) < Rank(found)))
                known = kind;
            sequential |= SymbolEqualityComparer.Default.Equals(definition, torch.Sequential);
        }
        if (known is { } result)
            return result;
        // Concrete TorchSharp modules left are ReLU, Dropout, pooling...; a base type (Module<Tensor, Tensor>) or a
        // Sequential could hold anything.
        bool concreteLibraryModule = type is { IsAbstract: false } && type.ContainingAssembly?.Name == "TorchSharp" &&
            !SymbolEqualityComparer.Default.Equals(type, torch.Module) && !sequential;
        return concreteLibraryModule ? LayerKind.Neutral : LayerKind.Opaque;
    }

    private static int Rank(LayerKind kind) => kind switch
    {
        LayerKind.Weight => 0,
        LayerKind.Saturating => 1,
        LayerKind.Rectifier => 2,
        _ => 3,
    };

    private bool Add(IOperation? value, List<LayerElement> path, IOperation use)
    {
        value = value.WithoutConversions();
        switch (value)
        {
            case null:
                return false;
            case IArrayCreationOperation array:
                return array.Initializer is { } initializer && initializer.ElementValues.All(e => Add(e, path, use));
            case { Syntax: CollectionExpressionSyntax } collection:
                return CollectionExpressions.Elements(collection) is { } elements && elements.All(e => Add(e, path, use)); // Sequential([a, b, c])
            case ITupleOperation tuple when tuple.Elements.Length == 2:
                return Add(tuple.Elements[1], path, use);
            case IObjectCreationOperation creation when IsTuple(creation.Type) && creation.Arguments.Length == 2:
                return Add(creation.Arguments[1].Value, path, use);
            case IObjectCreationOperation list when list.Initializer is { } items && IsCollection(list.Type):
                return AddInitializer(items, path, use);
            case IInvocationOperation call when IsConstruction(call):
                return call.Arguments.All(a => Add(a.Value, path, use));
            case IInvocationOperation call when call.TargetMethod.Name == "Create" && IsTuple(call.Type) && call.Arguments.Length == 2:
                return Add(call.Arguments[1].Value, path, use);
            case IInvocationOperation call when SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Nn):
                path.Add(new LayerElement(Classify(call.Type), call.Syntax));
                return true;
            case ILocalReferenceOperation local:
                return AddLocal(local.Local, path, use);
            case IFieldReferenceOperation or IPropertyReferenceOperation when value.MemberOfThis() is { } member && value.SemanticModel is { } model &&
                                                                            MemberCreation(member, model) is { } built && IsConstruction(built):
                return Elements(built) is { } inner && Append(path, inner); // Sequential(encoder, decoder) of Sequential fields
            case IInvocationOperation { TargetMethod.Name: "ToArray" or "ToList" or "AsEnumerable" } copy
                when (copy.Instance ?? copy.Arguments.FirstOrDefault()?.Value).WithoutConversions() is ILocalReferenceOperation copied:
                return AddLocal(copied.Local, path, use); // Sequential(layers.ToArray())
            case IInvalidOperation invalid when CandidateCalls.TryGet(invalid, out var method, out _) && SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Nn):
                path.Add(new LayerElement(Classify(method.ReturnType), invalid.Syntax)); // a factory call written for another TorchSharp version
                return true;
            default:
                path.Add(new LayerElement(LayerKind.Opaque, value.Syntax));
                return true;
        }
    }

    private bool AddInitializer(IObjectOrCollectionInitializerOperation initializer, List<LayerElement> path, IOperation use)
    {
        foreach (var element in initializer.Initializers)
        {
            if (element is not IInvocationOperation { TargetMethod.Name: "Add" } add || add.Arguments.Length != 1 || !Add(add.Arguments[0].Value, path, use))
                return false;
        }
        return true;
    }

    // A local list or array: what the statements before the use put in it, loops with constant counts replayed
    // (CollectionFill). A local holding one module: its initializer, and the element knows its holder (its init
    // calls name it).
    private bool AddLocal(ILocalSymbol local, List<LayerElement> path, IOperation use)
    {
        var root = use.Root();
        if (local.Type is IArrayTypeSymbol || IsCollection(local.Type))
            return CollectionFill.Replay(local, new[] { root }, use.Syntax.SpanStart) is { } values && values.All(v => Add(v, path, use));
        var value = OperationIndex.Descendants(root).OfType<IVariableDeclaratorOperation>()
            .FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local) && d.Syntax.SpanStart < use.Syntax.SpanStart)
            ?.GetVariableInitializer()?.Value;
        int before = path.Count;
        if (value is null || !Add(value, path, use))
            return false;
        if (path.Count == before + 1)
            path[before] = path[before].HeldIn(local); // var fc1 = nn.Linear(...): its init calls name fc1
        return true;
    }

    /// <summary>The layers a list, array or ModuleList held in <paramref name="symbol"/> receives from <paramref name="bodies"/>, or null when not known.</summary>
    public List<LayerElement>? Contents(ISymbol symbol, IEnumerable<IOperation> bodies)
    {
        if (CollectionFill.Replay(symbol, bodies) is not { } values)
            return null;
        var path = new List<LayerElement>();
        return values.All(v => Add(v, path, use: v)) ? path : null; // a local added is read in the body that adds it
    }

    /// <summary>The torch.nn factory (or Sequential construction) a field or property is given, in its initializer or a constructor of the same file.</summary>
    public IInvocationOperation? MemberCreation(ISymbol member, SemanticModel model) =>
        creations.GetOrAdd((member, model.SyntaxTree), _ => ReadMemberCreation(member, model)); // several rules and paths ask for the same member

    private IInvocationOperation? ReadMemberCreation(ISymbol member, SemanticModel model) =>
        CreationSyntax(member, model.SyntaxTree) is { } value &&
        model.GetOperation(value).WithoutConversions() is IInvocationOperation invocation &&
        (SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, torch.Nn) || IsConstruction(invocation))
            ? invocation
            : null;

    /// <summary>
    /// The one value a field or property is given, by its initializer or a constructor's assignment in
    /// <paramref name="tree"/>, unbound; null when it is given none or more than one, or in another file.
    /// </summary>
    public ExpressionSyntax? CreationSyntax(ISymbol member, SyntaxTree tree)
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
        if (ConstructorAssignments(member.ContainingType, tree).TryGetValue(member.Name, out var assigned))
            values.AddRange(assigned);
        return values.Count == 1 && values[0].SyntaxTree == tree ? values[0] : null;
    }

    // What the constructors of a type in one file assign to each name (`name = value` or `this.name = value`), read once
    // per type and file: a class's constructor is walked once, not once per field a rule asks about. Read from the
    // type's declarations in the file, not from its constructor symbols, which would build every member's symbol
    // first; and only the statements and the assignments themselves are walked: an assignment's value (a whole
    // Sequential of layers, say) holds no assignment of the constructor's own, and an object initializer's
    // `Name = value` sets another object's member.
    private Dictionary<string, List<ExpressionSyntax>> ConstructorAssignments(INamedTypeSymbol type, SyntaxTree tree) =>
        assignments.GetOrAdd((type, tree), _ =>
        {
            var byName = new Dictionary<string, List<ExpressionSyntax>>(System.StringComparer.Ordinal);
            foreach (var constructor in InstanceConstructorsIn(type, tree))
            {
                foreach (var assignment in constructor.DescendantNodes(n => n is not ExpressionSyntax || n is AssignmentExpressionSyntax).OfType<AssignmentExpressionSyntax>())
                {
                    string? name = assignment.Left switch
                    {
                        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: var accessed } => accessed,
                        _ => null,
                    };
                    if (name is not null)
                        (byName.TryGetValue(name, out var list) ? list : byName[name] = new List<ExpressionSyntax>()).Add(assignment.Right);
                }
            }
            return byName;
        });

    private static IEnumerable<ConstructorDeclarationSyntax> InstanceConstructorsIn(INamedTypeSymbol type, SyntaxTree tree)
    {
        foreach (var part in type.DeclaringSyntaxReferences)
        {
            if (part.SyntaxTree != tree || part.GetSyntax() is not TypeDeclarationSyntax declaration)
                continue;
            foreach (var member in declaration.Members)
            {
                if (member is ConstructorDeclarationSyntax constructor && !constructor.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StaticKeyword))
                    yield return constructor;
            }
        }
    }

    private static bool Append(List<LayerElement> path, List<LayerElement> inner)
    {
        path.AddRange(inner);
        return true;
    }

    private static bool IsTuple(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Name: "Tuple", Arity: 2 } named && named.ContainingNamespace?.ToDisplayString() == "System";

    private static bool IsCollection(ITypeSymbol? type) =>
        type is INamedTypeSymbol named && named.AllInterfaces.Any(i => i.Name == "ICollection" && i.Arity == 1);

    // A symbol and a file as one key, the symbol compared as Roslyn compares symbols.
    private sealed class SymbolInFile : IEqualityComparer<(ISymbol Member, SyntaxTree Tree)>
    {
        public static readonly SymbolInFile Comparer = new();

        public bool Equals((ISymbol Member, SyntaxTree Tree) x, (ISymbol Member, SyntaxTree Tree) y) =>
            x.Tree == y.Tree && SymbolEqualityComparer.Default.Equals(x.Member, y.Member);

        public int GetHashCode((ISymbol Member, SyntaxTree Tree) key) =>
            SymbolEqualityComparer.Default.GetHashCode(key.Member) * 31 + key.Tree.GetHashCode();
    }
}
