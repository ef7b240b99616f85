using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Whether a same-file helper must be bound to summarize it (<see cref="TrainingStepEvents.ThroughHelper"/>): a text
/// test, per compilation. Binding a helper finds something only through
/// <list type="bullet">
/// <item>a call it makes of backward, step, zero_grad or a clip, or of a method named for clipping: its text holds
/// <c>backward</c>, <c>step</c> or <c>zero_grad</c> as an identifier of its code, or <c>clip</c> anywhere (in any case);</item>
/// <item>a call of a method of another file, read by syntax for a clip or a zero_grad: its text names a method declared
/// in another file whose declaration holds <c>clip</c> (any case) or <c>zero_grad</c>;</item>
/// <item>a call of a method or local function of its file that finds something, to any depth: its text names one.</item>
/// </list>
/// Every call written in the code names its method, <c>x?.Run()</c> and <c>global::Run()</c> too (a call of a
/// delegate, <c>f()()</c>, goes to its <c>Invoke</c>, which leads nowhere), so names are read as identifiers of the
/// code, not in comments or strings. Any helper of a file where a method that may lead to events can be called without
/// its name in the text (a collection initializer's <c>Add</c>, a query's <c>Select</c>) is let through. Constructors,
/// properties and operators are never reached as calls. Every test lets too much through, never too little: the
/// summaries are the ones binding every helper would give. One instance per compilation (the other files' helpers are
/// the compilation's).
/// </summary>
internal sealed class HelperGate
{
    private static readonly string[] EventWords = { "backward", "step", "zero_grad" };

    private readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> leadingPerFile = new();
    private readonly ConditionalWeakTable<SyntaxTree, string[]> namedPerFile = new();
    private Dictionary<string, List<SyntaxTree>>? otherFileHelpers;

    /// <summary>Whether binding <paramref name="declaration"/> (a method or local function of its file) may find an event.</summary>
    public bool MayLeadToEvents(SyntaxNode declaration, Compilation compilation)
    {
        var tree = declaration.SyntaxTree;
        string text = TreeText.Of(tree);
        if (Seeds(text, declaration, tree, compilation))
            return true;
        var leading = Leading(tree, text, compilation);
        if (ImplicitCalls.MayCallAny(tree, declaration.Span, leading))
            return true;
        // The local functions in scope that the member's text does not hold: those beside a local function.
        if (FileDeclarations.MemberOf(declaration) is not { } member || member == declaration)
            return false;
        if (!Seeds(text, member, tree, compilation) && !ImplicitCalls.MayCallAny(tree, member.Span, leading))
            return false; // no local function can lead anywhere when its member's text seeds nothing and names no leading method
        var locals = FileDeclarations.LocalFunctionsIn(member).Where(f => f.Node != declaration && !declaration.Span.Contains(f.Node.Span)).ToList();
        return locals.Count > 0 && ImplicitCalls.MayCallAny(tree, declaration.Span, Closure(text, tree, compilation, locals, new HashSet<string>(leading, StringComparer.Ordinal)));
    }

    // A declaration that may find an event by itself, not through a method of its file.
    private bool Seeds(string text, SyntaxNode declaration, SyntaxTree tree, Compilation compilation)
    {
        var full = declaration.FullSpan;
        if (EventWords.Any(w => TreeText.ContainsCodeName(tree, declaration.Span, w)) || ContainsClip(text, full)) // trivia holds no code; a clip's name is searched in comments too
            return true;
        foreach (string name in OtherFileHelpersNamedIn(tree, text, compilation))
        {
            if (TreeText.ContainsCodeName(tree, declaration.Span, name))
                return true;
        }
        return false;
    }

    // Per file: the other files' clipping or zeroing methods whose names its text holds. A declaration can name only
    // those; searching its text for every such method of the compilation, declaration after declaration, cost more
    // than the rest of the gate.
    private string[] OtherFileHelpersNamedIn(SyntaxTree tree, string text, Compilation compilation)
    {
        if (namedPerFile.TryGetValue(tree, out var known))
            return known;
        var whole = new TextSpan(0, text.Length);
        var named = OtherFileHelpers(compilation)
            .Where(pair => pair.Value.Any(t => t != tree) && TreeText.ContainsName(text, whole, pair.Key))
            .Select(pair => pair.Key)
            .ToArray();
        return namedPerFile.GetValue(tree, _ => named);
    }

    // The file's methods that may find an event, to any depth (constructors are never called through an invocation).
    private HashSet<string> Leading(SyntaxTree tree, string text, Compilation compilation) =>
        leadingPerFile.GetValue(tree, t => Closure(text, t, compilation,
            FileDeclarations.Of(t).Members.Where(d => d.Name != FileDeclarations.ConstructorName).ToList(),
            new HashSet<string>(StringComparer.Ordinal)));

    private HashSet<string> Closure(string text, SyntaxTree tree, Compilation compilation, IReadOnlyList<FileDeclarations.Declaration> declarations, HashSet<string> leading) =>
        NameClosure.Extend(declarations, leading, d => Seeds(text, d.Node, tree, compilation), (span, names) => ImplicitCalls.MayCallAny(tree, span, names));

    // Per compilation: the methods whose declaration mentions a clip (any case) or zero_grad, by name, with their
    // files: the only methods of another file whose syntax gives a helper an event.
    private Dictionary<string, List<SyntaxTree>> OtherFileHelpers(Compilation compilation)
    {
        if (otherFileHelpers is { } known)
            return known;
        var found = new Dictionary<string, List<SyntaxTree>>(StringComparer.Ordinal);
        foreach (var tree in compilation.SyntaxTrees)
        {
            foreach (string name in HelpersPerTree.GetValue(tree, HelpersIn))
            {
                if (!found.TryGetValue(name, out var trees))
                    found[name] = trees = new List<SyntaxTree>();
                trees.Add(tree);
            }
        }
        return otherFileHelpers = found; // computed again at worst by a racing thread: the same answer
    }

    // Each tree's clipping or zeroing methods, for every compilation that holds it: an editor's next compilation holds
    // every tree but the one being typed in; each file's text was searched again at every keystroke.
    private static readonly ConditionalWeakTable<SyntaxTree, string[]> HelpersPerTree = new();

    // The names of a tree's methods whose declaration may clip or zero gradients, once per declaration.
    private static string[] HelpersIn(SyntaxTree tree)
    {
        string text = TreeText.Of(tree);
        if (!MayClipOrZeroGrad(text, new TextSpan(0, text.Length)))
            return Array.Empty<string>();
        return FileDeclarations.Of(tree).Members
            .Where(d => d.Name != FileDeclarations.ConstructorName && MayClipOrZeroGrad(text, d.Node.FullSpan))
            .Select(d => d.Name)
            .ToArray();
    }

    /// <summary>
    /// Whether a span's text may give a clip or a zero_grad to a reading of its syntax (another file's helper): it holds
    /// <c>clip</c> in any case (a clip_grad_* call, or a method named for clipping) or <c>zero_grad</c>.
    /// </summary>
    internal static bool MayClipOrZeroGrad(string text, TextSpan span) => ContainsClip(text, span) || TreeText.Contains(text, span, "zero_grad");

    private static bool ContainsClip(string text, TextSpan span) =>
        text.IndexOf("clip", span.Start, span.Length, StringComparison.OrdinalIgnoreCase) >= 0;
}
