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
        var root = model.SyntaxTree.GetRoot(cancellationToken);
        bool topLevel = false;
        foreach (var declaration in Declarations(root))
        {
            if (declaration is GlobalStatementSyntax)
            {
                if (topLevel)
                    continue; // the top-level statements are one body, the file's
                topLevel = true;
            }
            var body = declaration is GlobalStatementSyntax ? root : declaration;
            if (filter is { } span && !body.FullSpan.IntersectsWith(span) || !mayHold(body))
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            var owner = model.GetDeclaredSymbol(Owner(body), cancellationToken);
            if (body is TypeDeclarationSyntax && owner is INamedTypeSymbol type)
                owner = type.InstanceConstructors.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) == body)) ?? owner;
            if (IsGenerated(owner))
                continue;
            if (model.GetOperation(body, cancellationToken) is { } operation)
                yield return new FileBody(owner, operation);
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

    // The nodes that own an executable body, from a walk of the file's types and members only (no body is entered):
    // kept per file, since several rules read the same file (the answer depends on the text only).
    private static readonly ConditionalWeakTable<SyntaxTree, List<SyntaxNode>> DeclarationsPerFile = new();

    private static List<SyntaxNode> Declarations(SyntaxNode root) =>
        DeclarationsPerFile.GetValue(root.SyntaxTree, _ => FindDeclarations(root).ToList());

    private static IEnumerable<SyntaxNode> FindDeclarations(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax or BasePropertyDeclarationSyntax or AccessorListSyntax or BaseFieldDeclarationSyntax or VariableDeclarationSyntax or VariableDeclaratorSyntax))
        {
            switch (node)
            {
                case BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null }:
                case AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null }:
                case ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax }:
                case EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax or VariableDeclaratorSyntax }:
                case GlobalStatementSyntax:
                    yield return node;
                    break;
            }
            // A primary constructor's base call is the body of the constructor, whose syntax is the type's.
            if (node is TypeDeclarationSyntax { ParameterList: not null, BaseList.Types: { Count: > 0 } bases } && bases[0] is PrimaryConstructorBaseTypeSyntax)
                yield return node;
        }
    }
}

/// <summary>An executable body of a file (<see cref="FileBodies"/>): its operation tree and the symbol that owns it.</summary>
internal readonly record struct FileBody(ISymbol? Owner, IOperation Operation);
