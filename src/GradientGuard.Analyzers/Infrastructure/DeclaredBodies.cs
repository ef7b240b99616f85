using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The operation trees the driver handed out for the members of one type, by declaration, so that a rule reading a
/// helper at the end of the type takes the body the driver already bound instead of asking
/// <see cref="SemanticModel.GetOperation(SyntaxNode, System.Threading.CancellationToken)"/> first. Asking first binds the
/// helper inside the rule's callback (the compiler binds it again or reuses it later, but the rule pays); the answer is
/// the same operation tree either way, so a body not held here is bound as before.
/// </summary>
internal sealed class DeclaredBodies
{
    /// <summary>Holds nothing: every body is bound on request (a top-level program, read at the end of its own block).</summary>
    public static readonly DeclaredBodies None = new();

    private readonly ConcurrentDictionary<SyntaxNode, IOperation> roots = new();

    /// <summary>Keeps the roots of a member's operation blocks (its body, its expression body, its initializer).</summary>
    public void Add(ImmutableArray<IOperation> blocks)
    {
        foreach (var block in blocks)
        {
            var root = block.Root();
            roots.TryAdd(root.Syntax, root);
        }
    }

    /// <summary>
    /// The operation of a method's or local function's declaration: the driver's tree when it is held (a local function
    /// from the semantic model that bound its member, which holds it bound), else bound now through <paramref name="model"/>.
    /// </summary>
    public IOperation? BodyOf(SyntaxNode declaration, SemanticModel model)
    {
        if (roots.TryGetValue(declaration, out var root))
            return root;
        if (declaration is LocalFunctionStatementSyntax && FileDeclarations.MemberOf(declaration) is { } member &&
            roots.TryGetValue(member, out var memberRoot) && memberRoot.SemanticModel is { } bound)
        {
            return bound.GetOperation(declaration);
        }
        return model.GetOperation(declaration);
    }
}
