using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Syntax-only tests, before any operation walk, of whether a body can hold what GG0002's init checks look for. Each
/// lets through every body the walk could find something in (and more): <see cref="InitCalls.Find"/> finds only a
/// <c>.weight</c> (an init call on it, an assignment to it, normal_/uniform_ on it) or a call of a helper whose
/// declaration calls xavier_/glorot_/kaiming_ (<see cref="InitHelpers"/>); <see cref="ModelWideInits.Find"/> finds only
/// <c>apply(...)</c> or a <c>foreach</c> over <c>parameters()</c>/<c>named_parameters()</c>.
/// </summary>
internal sealed class InitMentions
{
    private static readonly string[] HelperWords = { "xavier_", "glorot_", "kaiming_" };
    // parameters() and named_parameters() both hold it.
    private static readonly SourceMentions Parameters = SourceMentions.AnyOf("parameters");
    private readonly Lazy<(HashSet<string> Methods, bool Constructors)> helpers;

    /// <summary>The helpers of <paramref name="compilation"/> are found on first need, by a text search of every file.</summary>
    public InitMentions(Compilation compilation, CancellationToken cancellation) =>
        helpers = new Lazy<(HashSet<string>, bool)>(() => FindHelpers(compilation, cancellation));

    /// <summary>Whether <see cref="InitCalls.Find"/> can find an init of a layer in <paramref name="body"/>.</summary>
    public bool MayInitLayers(SyntaxNode body) =>
        TreeText.ContainsCodeName(body, "weight") || // a whole identifier, as a reference of the property must write it (weight_decay is none)
        MayCallInitHelper(body);

    /// <summary>
    /// Whether <paramref name="body"/> may call an init helper (<see cref="InitHelpers"/>): a method of the compilation
    /// whose declaration calls xavier_/glorot_/kaiming_, or a constructor that does. A body can set weights this way
    /// while it writes none of the words of an init (<c>Inits.He(fc1)</c>).
    /// </summary>
    public bool MayCallInitHelper(SyntaxNode body)
    {
        var (methods, constructors) = helpers.Value;
        if (methods.Count == 0 && !constructors)
            return false;
        // Text tests for what a syntax walk would find: a helper's call (its name, unless the compiler calls it by a name
        // the code need not write: a collection initializer's Add), a ": base(...)" / ": this(...)" into a constructor
        // that initializes.
        return constructors && TreeText.MayCallConstructor(body.SyntaxTree, body.Span) ||
               ImplicitCalls.MayCallAny(body.SyntaxTree, body.Span, methods);
    }

    /// <summary>Whether <see cref="ModelWideInits.Find"/> can find an apply or a loop over parameters in <paramref name="body"/>.</summary>
    public static bool MayInitModel(SyntaxNode body) =>
        TreeText.ContainsCodeName(body, "apply") ||
        Parameters.In(body) && TreeText.CodeNames(body, body.Span, "foreach")
            .Any(keyword => keyword.Parent is CommonForEachStatementSyntax loop && Parameters.In(loop.Expression)); // the loops only, not every node

    // The names of the methods (and whether any constructor) whose declaration mentions an init function InitHelpers reads.
    private static (HashSet<string> Methods, bool Constructors) FindHelpers(Compilation compilation, CancellationToken cancellation)
    {
        var methods = new HashSet<string>(StringComparer.Ordinal);
        bool constructors = false;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var found = PerTree.GetValue(tree, t => FindHelpers(t, cancellation));
            methods.UnionWith(found.Methods);
            constructors |= found.Constructors;
        }
        return (methods, constructors);
    }

    // Each tree's helpers, for every compilation that holds it: an editor's next compilation holds every tree but the one
    // being typed in. (A cancelled search throws before its answer is kept.)
    private static readonly ConditionalWeakTable<SyntaxTree, TreeHelpers> PerTree = new();

    private sealed class TreeHelpers
    {
        public static readonly TreeHelpers None = new(Array.Empty<string>(), false);

        public TreeHelpers(string[] methods, bool constructors) => (Methods, Constructors) = (methods, constructors);

        public string[] Methods { get; }

        public bool Constructors { get; }
    }

    private static TreeHelpers FindHelpers(SyntaxTree tree, CancellationToken cancellation)
    {
        string text = TreeText.Of(tree);
        SyntaxNode? root = null;
        HashSet<string>? methods = null;
        bool constructors = false;
        foreach (string word in HelperWords)
        {
            if (!TreeText.FileHolds(tree, word))
                continue; // answered once per file for InitHelpers' gate too, which asks for the same words
            for (int at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
            {
                root ??= tree.GetRoot(cancellation);
                switch (root.FindToken(at).Parent?.AncestorsAndSelf().OfType<BaseMethodDeclarationSyntax>().FirstOrDefault())
                {
                    case MethodDeclarationSyntax method:
                        (methods ??= new HashSet<string>(StringComparer.Ordinal)).Add(method.Identifier.ValueText);
                        break;
                    case ConstructorDeclarationSyntax:
                        constructors = true;
                        break;
                }
            }
        }
        return methods is null && !constructors ? TreeHelpers.None : new TreeHelpers(methods?.ToArray() ?? Array.Empty<string>(), constructors);
    }
}
