using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The executable bodies of one file, for rules that read them at the file's semantic-model action instead of being
/// handed them one by one in operation-block actions: methods, constructors, destructors, operators, accessors,
/// expression-bodied properties and indexers, field and property initializers, a primary constructor's base call, and
/// the top-level statements (local functions and lambdas are inside these).
/// <para>
/// Why: a training rule reads the same-file helpers a body calls (<see cref="TrainingStepEvents.ThroughHelper"/>), and
/// most helpers are declared after their caller. Asked from the caller's block action, the first rule to ask binds the
/// helper itself (its nullable analysis included, some milliseconds for a training method) and pays, in its own time,
/// for binding the driver does anyway for the helper's own operation block. The driver runs a file's semantic-model
/// actions after it has bound the file's bodies (of 11,301 bodies of real code asked for there, none took over 0.5 ms;
/// binding one of the larger training methods took 6–41 ms), so read there every operation tree, the helpers' too, is
/// already built. Correctness does not depend on that order: a body not yet bound is bound here.
/// </para>
/// </summary>
internal static class FileBodies
{
    /// <summary>
    /// Each body of the file whose syntax passes <paramref name="mayHold"/> (tested before anything is looked up), with
    /// its operation tree and the symbol that owns it; only those intersecting <paramref name="filter"/>, when one is
    /// given (the IDE analyzing a span). The syntax is the declaration (a method, an accessor, a constructor), an
    /// initializer or arrow body, the file for its top-level statements, or a primary constructor's base type.
    /// </summary>
    public static IEnumerable<FileBody> Read(SemanticModel model, TextSpan? filter, Func<SyntaxNode, bool> mayHold, CancellationToken cancellationToken)
    {
        var file = Readings.GetValue(model, m => new FileReading(m));
        for (int i = 0; i < file.Bodies.Length; i++)
        {
            var body = file.Bodies[i];
            if (filter is { } span && !body.FullSpan.IntersectsWith(span) || !mayHold(body))
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Resolve(i, cancellationToken) is { } resolved)
                yield return resolved;
        }
    }

    /// <summary>
    /// What <paramref name="read"/> finds in the file of <paramref name="file"/>, kept in <paramref name="cache"/> for the
    /// other rules that ask about the same file; an answer for an editor's span (<c>FilterSpan</c>) is read, not kept,
    /// since it is not the whole file's.
    /// </summary>
    public static T KeptPerFile<T>(System.Collections.Concurrent.ConcurrentDictionary<SyntaxTree, T> cache, Microsoft.CodeAnalysis.Diagnostics.SemanticModelAnalysisContext file,
        Func<SemanticModel, TextSpan?, CancellationToken, T> read) =>
        file.FilterSpan is null
            ? cache.GetOrAdd(file.SemanticModel.SyntaxTree, _ => read(file.SemanticModel, null, file.CancellationToken))
            : read(file.SemanticModel, file.FilterSpan, file.CancellationToken);

    /// <summary>
    /// Raised when a rule first looks a body up (its owner, its operation tree): every binding of a file's code by the
    /// rules starts from a body found here (the other operation trees they read are reached from one), so tests watch
    /// which files the rules bind. Nothing subscribes outside tests.
    /// </summary>
    internal static event Action<SyntaxNode>? LookingUp;

    // Each model's owners and operation trees, looked up on first use and kept for the other rules that read the same
    // file: the driver hands every analyzer of a file the same semantic model.
    private static readonly ConditionalWeakTable<SemanticModel, FileReading> Readings = new();

    private sealed class FileReading
    {
        // Stands for a body no rule reads: generated code, or syntax with no operation tree.
        private static readonly FileBody Skipped = new(null!, null!, null!);

        private readonly SemanticModel model;
        private readonly FileBody?[] resolved;

        public FileReading(SemanticModel model)
        {
            this.model = model;
            Bodies = Declarations(model.SyntaxTree);
            resolved = new FileBody?[Bodies.Length];
        }

        public SyntaxNode[] Bodies { get; }

        // A racing thread resolves the same body to the same symbol and the same (cached) operation tree.
        public FileBody? Resolve(int index, CancellationToken cancellationToken)
        {
            var known = Volatile.Read(ref resolved[index]);
            if (known is null)
            {
                var found = Find(Bodies[index], cancellationToken);
                known = Interlocked.CompareExchange(ref resolved[index], found, null) ?? found;
            }
            return ReferenceEquals(known, Skipped) ? null : known;
        }

        // Whether a symbol of this file may be marked [GeneratedCode] (FileBodies.MayMarkGenerated), asked once per file,
        // not per body: a racing thread finds the same answer. 0: not asked yet, 1: no, 2: yes.
        private int mayMarkGenerated;

        private bool MayMarkGenerated()
        {
            int known = Volatile.Read(ref mayMarkGenerated);
            if (known == 0)
                Volatile.Write(ref mayMarkGenerated, known = FileBodies.MayMarkGenerated(model) ? 2 : 1);
            return known == 2;
        }

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        private FileBody Find(SyntaxNode body, CancellationToken cancellationToken)
        {
            LookingUp?.Invoke(body);
            // Most files mark nothing generated: their bodies' owners are looked up only for a rule that asks (a forward's
            // rules do), not for the test.
            if (MayMarkGenerated() && IsGenerated(OwnerOf(model, body, cancellationToken)))
                return Skipped;
            return model.GetOperation(body, cancellationToken) is { } operation ? new FileBody(model, body, operation) : Skipped;
        }
    }

    /// <summary>The symbol that owns <paramref name="body"/> (a member, or a primary constructor for a type's base call).</summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    internal static ISymbol? OwnerOf(SemanticModel model, SyntaxNode body, CancellationToken cancellationToken)
    {
        var owner = model.GetDeclaredSymbol(Owner(body), cancellationToken);
        if (body is TypeDeclarationSyntax && owner is INamedTypeSymbol type)
            owner = type.InstanceConstructors.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) == body)) ?? owner;
        return owner;
    }

    // Whether a symbol of the model's file may be marked [GeneratedCode]. A symbol declared in one part (one declared in
    // several parts is not generated, see IsGenerated) carries the attribute on its own declaration, so in this file,
    // under its name, an escaped spelling of it (\u0043) or an alias's; a global alias may stand in another file. A
    // partial method's (or property's) implementation is the exception: it also carries the attributes of its
    // definition, which may be in another file, so a file that writes "partial" counts. None of it can be when no file
    // of the compilation names the attribute (an alias must spell it too), which most compilations show once.
    private static bool MayMarkGenerated(SemanticModel model)
    {
        var compilation = model.Compilation;
        var tree = model.SyntaxTree;
        return AnyFileMayName.GetValue(compilation, c => new StrongBox<bool>(GeneratedCodeNames.InAny(c))).Value &&
               (GeneratedCodeNames.In(tree) || TreeText.FileHolds(tree, "partial") ||
                TreeText.GlobalUsingsMention(compilation, GeneratedCode) || TreeText.GlobalUsingsMention(compilation, TreeText.UnicodeEscape));
    }

    private const string GeneratedCode = "GeneratedCode";
    private static readonly SourceMentions GeneratedCodeNames = SourceMentions.AnyOf(GeneratedCode, TreeText.UnicodeEscape);
    private static readonly ConditionalWeakTable<Compilation, StrongBox<bool>> AnyFileMayName = new();

    // The declaration whose symbol owns a body: the field, property or event of an initializer or an arrow body (a
    // primary constructor's is found from its type's).
    private static SyntaxNode Owner(SyntaxNode body) => body is EqualsValueClauseSyntax or ArrowExpressionClauseSyntax ? body.Parent! : body;

    // The driver skips a symbol marked [GeneratedCode] (or inside a type so marked) in block actions, not in a file's
    // semantic-model action: the same test here. As the driver does, a symbol declared in several parts is not
    // generated, and neither is anything inside it that is not marked itself.
    private static bool IsGenerated(ISymbol? symbol)
    {
        for (; symbol is not null and not INamespaceSymbol; symbol = symbol.ContainingSymbol)
        {
            if (symbol.DeclaringSyntaxReferences.Length > 1)
                return false;
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute", ContainingNamespace: { Name: "Compiler", ContainingNamespace: { Name: "CodeDom", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } })
                    return true;
            }
        }
        return false;
    }

    // The nodes that own an executable body, in text order, the file itself standing once for its top-level statements:
    // kept per file, since the answer depends on the text only (a tree may be in several compilations, in an editor).
    private static readonly ConditionalWeakTable<SyntaxTree, SyntaxNode[]> DeclarationsPerFile = new();

    private static SyntaxNode[] Declarations(SyntaxTree tree) => DeclarationsPerFile.GetValue(tree, FindDeclarations);

    // A walk of the member lists only: no body, attribute, parameter or base list is entered (a generic walk of the
    // same nodes visits every child of every declaration and cost as much as some rules).
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static SyntaxNode[] FindDeclarations(SyntaxTree tree)
    {
        var root = tree.GetRoot();
        var found = new List<SyntaxNode>();
        bool topLevel = false;
        if (root is CompilationUnitSyntax unit)
            AddAll(unit.Members);
        return found.ToArray();

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        void AddAll(SyntaxList<MemberDeclarationSyntax> members)
        {
            foreach (var member in members)
                Add(member);
        }

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        void Add(MemberDeclarationSyntax member)
        {
            switch (member)
            {
                case GlobalStatementSyntax:
                    if (!topLevel)
                        found.Add(root); // the top-level statements are one body, the file's
                    topLevel = true;
                    break;
                case BaseNamespaceDeclarationSyntax space:
                    AddAll(space.Members);
                    break;
                case TypeDeclarationSyntax type:
                    // A primary constructor's base call is the body of the constructor, whose syntax is the type's.
                    if (type.ParameterList is not null && type.BaseList is { Types: { Count: > 0 } bases } && bases[0] is PrimaryConstructorBaseTypeSyntax)
                        found.Add(type);
                    AddAll(type.Members);
                    break;
                case BaseMethodDeclarationSyntax method:
                    if (method.Body is not null || method.ExpressionBody is not null)
                        found.Add(method);
                    break;
                case BasePropertyDeclarationSyntax property:
                    foreach (var accessor in property.AccessorList?.Accessors ?? default)
                    {
                        if (accessor.Body is not null || accessor.ExpressionBody is not null)
                            found.Add(accessor);
                    }
                    var arrow = property switch
                    {
                        PropertyDeclarationSyntax p => p.ExpressionBody,
                        IndexerDeclarationSyntax i => i.ExpressionBody,
                        _ => null,
                    };
                    if (arrow is not null)
                        found.Add(arrow);
                    if (property is PropertyDeclarationSyntax { Initializer: { } propertyInitializer })
                        found.Add(propertyInitializer);
                    break;
                case BaseFieldDeclarationSyntax field:
                    foreach (var variable in field.Declaration.Variables)
                    {
                        if (variable.Initializer is { } initializer)
                            found.Add(initializer);
                    }
                    break;
            }
        }
    }
}

/// <summary>An executable body of a file (<see cref="FileBodies"/>): its operation tree and the symbol that owns it.</summary>
internal sealed class FileBody
{
    private readonly SemanticModel model;
    private readonly SyntaxNode body;
    private ISymbol? owner;
    private volatile bool ownerKnown;

    public FileBody(SemanticModel model, SyntaxNode body, IOperation operation) => (this.model, this.body, Operation) = (model, body, operation);

    /// <summary>The body's operation tree.</summary>
    public IOperation Operation { get; }

    /// <summary>The symbol that owns the body, looked up on first use (most rules never ask).</summary>
    public ISymbol? Owner
    {
        get
        {
            if (!ownerKnown)
            {
                owner = FileBodies.OwnerOf(model, body, CancellationToken.None); // a racing thread finds the same symbol
                ownerKnown = true;
            }
            return owner;
        }
    }
}
