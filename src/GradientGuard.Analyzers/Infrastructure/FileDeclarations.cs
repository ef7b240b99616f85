using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The methods, local functions and constructors of one file, from a walk that does not enter expressions: a full
/// syntax walk of a big file costs as much as all the questions the training-step rules ask of it, and expressions
/// are most of its nodes. An expression is entered only where a local function can hide in it, a lambda's or an
/// anonymous method's block (its text has <c>=&gt;</c> or <c>delegate</c>), so no declaration is missed.
/// </summary>
internal sealed class FileDeclarations
{
    /// <summary>Stands for every constructor: a <c>: base(...)</c> or <c>: this(...)</c> call names none.</summary>
    public const string ConstructorName = ".ctor";

    private static readonly ConditionalWeakTable<SyntaxTree, FileDeclarations> Files = new();

    private FileDeclarations(SyntaxTree tree)
    {
        string text = TreeText.Of(tree);
        var declarations = new List<Declaration>();
        var methodNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in tree.GetRoot().DescendantNodes(n => n is not ExpressionSyntax || MayHoldFunction(text, n)))
        {
            switch (node)
            {
                case MethodDeclarationSyntax method:
                    declarations.Add(new Declaration(method.Identifier.ValueText, method));
                    methodNames.Add(method.Identifier.ValueText);
                    break;
                case LocalFunctionStatementSyntax function:
                    declarations.Add(new Declaration(function.Identifier.ValueText, function));
                    methodNames.Add(function.Identifier.ValueText);
                    break;
                case ConstructorDeclarationSyntax constructor:
                    declarations.Add(new Declaration(ConstructorName, constructor));
                    break;
            }
        }
        Declarations = declarations;
        MethodNames = methodNames;
    }

    /// <summary>The file's index, built on first use and kept as long as the tree.</summary>
    public static FileDeclarations Of(SyntaxTree tree) => Files.GetValue(tree, t => new FileDeclarations(t));

    /// <summary>The file's methods, local functions and constructors.</summary>
    public IReadOnlyList<Declaration> Declarations { get; }

    /// <summary>The names of the file's methods and local functions.</summary>
    public HashSet<string> MethodNames { get; }

    private static bool MayHoldFunction(string text, SyntaxNode expression) =>
        TreeText.Contains(text, expression.Span, "=>") || TreeText.Contains(text, expression.Span, "delegate");

    /// <summary>A method or local function (by name), or a constructor (<see cref="ConstructorName"/>).</summary>
    internal readonly record struct Declaration(string Name, SyntaxNode Node);
}
