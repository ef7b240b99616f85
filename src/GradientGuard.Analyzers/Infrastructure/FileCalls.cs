using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The calls of one file by name, and the methods, local functions and constructors they sit in, from one syntax walk
/// per file. The name tests of the training-step rules (which bodies can reach a step, which helpers can hold an
/// event) ask it by span instead of walking a body's syntax again at every question: one walk of a big file costs
/// about as much as all the questions asked of it.
/// </summary>
internal sealed class FileCalls
{
    /// <summary>Stands for every constructor: a <c>: base(...)</c> or <c>: this(...)</c> call names none.</summary>
    public const string ConstructorName = ".ctor";

    private static readonly ConditionalWeakTable<SyntaxTree, FileCalls> Files = new();

    private readonly List<Call> calls = new();
    private readonly List<Declaration> declarations = new();

    private FileCalls(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case InvocationExpressionSyntax call:
                    calls.Add(new Call(call.SpanStart, call.Span, call.CalledName(), IsConstructorInitializer: false));
                    break;
                case ConstructorInitializerSyntax initializer:
                    calls.Add(new Call(initializer.SpanStart, initializer.Span, null, IsConstructorInitializer: true));
                    break;
                case MethodDeclarationSyntax method:
                    declarations.Add(new Declaration(method.Identifier.ValueText, method, IsMethod: true));
                    break;
                case LocalFunctionStatementSyntax function:
                    declarations.Add(new Declaration(function.Identifier.ValueText, function, IsMethod: true));
                    break;
                case ConstructorDeclarationSyntax constructor:
                    declarations.Add(new Declaration(ConstructorName, constructor, IsMethod: false));
                    break;
            }
        }
        // DescendantNodes is a pre-order walk: calls come out sorted by their start already.
        MethodNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var declaration in declarations)
        {
            if (declaration.IsMethod)
                MethodNames.Add(declaration.Name);
        }
    }

    /// <summary>The file's index, built on first use and kept as long as the tree.</summary>
    public static FileCalls Of(SyntaxTree tree) => Files.GetValue(tree, t => new FileCalls(t.GetRoot()));

    /// <summary>The names of the file's methods and local functions.</summary>
    public HashSet<string> MethodNames { get; }

    /// <summary>The file's methods, local functions and constructors, in the order they start.</summary>
    public IReadOnlyList<Declaration> Declarations => declarations;

    /// <summary>The calls below <paramref name="node"/> (not <paramref name="node"/> itself), in source order.</summary>
    public IEnumerable<Call> Below(SyntaxNode node)
    {
        var span = node.Span;
        for (int i = FirstAtOrAfter(span.Start); i < calls.Count && calls[i].Start < span.End; i++)
        {
            if (calls[i].Span != span || !IsSameKind(node, calls[i]))
                yield return calls[i];
        }
    }

    private static bool IsSameKind(SyntaxNode node, Call call) =>
        call.IsConstructorInitializer ? node is ConstructorInitializerSyntax : node is InvocationExpressionSyntax;

    private int FirstAtOrAfter(int position)
    {
        int low = 0, high = calls.Count;
        while (low < high)
        {
            int middle = low + (high - low) / 2;
            if (calls[middle].Start < position)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    /// <summary>An invocation (its called name, null when a name cannot tell it) or a constructor initializer.</summary>
    internal readonly record struct Call(int Start, TextSpan Span, string? Name, bool IsConstructorInitializer);

    /// <summary>A method or local function (by name), or a constructor (<see cref="ConstructorName"/>).</summary>
    internal readonly record struct Declaration(string Name, SyntaxNode Node, bool IsMethod);
}
