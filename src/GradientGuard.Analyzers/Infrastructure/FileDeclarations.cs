using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The methods and constructors of one file, from a walk of its type declarations only (no member body is entered),
/// and on request the local functions of one member. A full syntax walk of a big file costs as much as all the questions
/// the training-step rules ask of it; bodies are most of its nodes.
/// </summary>
internal sealed class FileDeclarations
{
    /// <summary>Stands for every constructor: a <c>: base(...)</c> or <c>: this(...)</c> call names none.</summary>
    public const string ConstructorName = ".ctor";

    private static readonly ConditionalWeakTable<SyntaxTree, FileDeclarations> Files = new();
    private static readonly ConditionalWeakTable<SyntaxNode, IReadOnlyList<Declaration>> LocalFunctions = new();

    private FileDeclarations(SyntaxTree tree)
    {
        var members = new List<Declaration>();
        foreach (var node in tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
        {
            switch (node)
            {
                case MethodDeclarationSyntax method:
                    members.Add(new Declaration(method.Identifier.ValueText, method));
                    break;
                case ConstructorDeclarationSyntax constructor:
                    members.Add(new Declaration(ConstructorName, constructor));
                    break;
            }
        }
        Members = members;
    }

    /// <summary>The file's index, built on first use and kept as long as the tree.</summary>
    public static FileDeclarations Of(SyntaxTree tree) => Files.GetValue(tree, t => new FileDeclarations(t));

    /// <summary>The file's methods and constructors (members of its types; local functions are <see cref="LocalFunctionsIn"/>).</summary>
    public IReadOnlyList<Declaration> Members { get; }

    /// <summary>
    /// The local functions declared anywhere in <paramref name="member"/>, read once per member. Expressions are entered
    /// only where a local function can hide in one, a lambda's or an anonymous method's block (its text has <c>=&gt;</c>
    /// or <c>delegate</c>).
    /// </summary>
    public static IReadOnlyList<Declaration> LocalFunctionsIn(SyntaxNode member) =>
        LocalFunctions.GetValue(member, m =>
        {
            string text = TreeText.Of(m.SyntaxTree);
            return m.DescendantNodes(n => n is not ExpressionSyntax || MayHoldFunction(text, n))
                .OfType<LocalFunctionStatementSyntax>()
                .Select(f => new Declaration(f.Identifier.ValueText, f))
                .ToList();
        });

    /// <summary>
    /// The outermost member (method, constructor, accessor, operator...) that holds <paramref name="node"/>, or the file
    /// itself for top-level statements (their local functions are declared among them); null when neither.
    /// </summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static SyntaxNode? MemberOf(SyntaxNode node)
    {
        SyntaxNode? member = null;
        foreach (var ancestor in node.AncestorsAndSelf())
        {
            switch (ancestor)
            {
                case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or BasePropertyDeclarationSyntax or FieldDeclarationSyntax:
                    member = ancestor;
                    break;
                case GlobalStatementSyntax { Parent: { } file }:
                    return file;
            }
        }
        return member;
    }

    private static bool MayHoldFunction(string text, SyntaxNode expression) =>
        TreeText.Contains(text, expression.Span, "=>") || TreeText.Contains(text, expression.Span, "delegate");

    /// <summary>A method or local function (by name), or a constructor (<see cref="ConstructorName"/>).</summary>
    internal readonly record struct Declaration(string Name, SyntaxNode Node);
}
