using System;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Whether source text mentions the words a rule needs (<c>backward</c> and <c>step</c> for a training loop): a text
/// search that spares a rule the operation walk of files or methods that cannot hold what it looks for. Sound for
/// rules that only follow calls within one file, and for names that cannot be aliased (methods, <c>forward</c>).
/// A word may match inside a longer name or a comment: the test only ever lets too much through, never too little.
/// </summary>
internal sealed class SourceMentions
{
    // Weak keys: the caches live as long as the trees, whichever compilation or rule asked.
    private readonly ConditionalWeakTable<SyntaxTree, StrongBox<bool>> files = new();
    private readonly string[] words;
    private readonly bool all;

    private SourceMentions(string[] words, bool all)
    {
        this.words = words;
        this.all = all;
    }

    /// <summary>Text that mentions every one of <paramref name="words"/>.</summary>
    public static SourceMentions AllOf(params string[] words) => new(words, all: true);

    /// <summary>Text that mentions at least one of <paramref name="words"/>.</summary>
    public static SourceMentions AnyOf(params string[] words) => new(words, all: false);

    /// <summary>Whether the whole file mentions the words (computed once per file).</summary>
    public bool In(SyntaxTree tree)
    {
        if (ReferenceEquals(tree, lastTree) && ReferenceEquals(this, lastAsker))
            return lastAnswer;
        bool answer = files.GetValue(tree, t => new StrongBox<bool>(Mentions(TreeText.Of(t), new TextSpan(0, t.Length)))).Value;
        (lastTree, lastAsker, lastAnswer) = (tree, this, answer);
        return answer;
    }

    // The last question asked on this thread: a rule asks about one file at every callback in it, and a table lookup
    // costs more than the answer.
    [ThreadStatic]
    private static SyntaxTree? lastTree;
    [ThreadStatic]
    private static SourceMentions? lastAsker;
    [ThreadStatic]
    private static bool lastAnswer;

    /// <summary>
    /// Whether any file of the compilation mentions the words: a rule whose every check is gated by these words on a
    /// file registers nothing when none does, so it costs no callback per method or call (computed once per file).
    /// </summary>
    public bool InAny(Compilation compilation) => compilation.SyntaxTrees.Any(In);

    /// <summary>Whether the text of <paramref name="node"/> (a method, say) mentions the words.</summary>
    public bool In(SyntaxNode node) => Mentions(TreeText.Of(node.SyntaxTree), node.FullSpan);

    /// <summary>Whether the text of <paramref name="node"/> mentions <paramref name="word"/>.</summary>
    public static bool Mention(SyntaxNode node, string word) => TreeText.Contains(TreeText.Of(node.SyntaxTree), node.FullSpan, word);

    private bool Mentions(string text, TextSpan span) => all
        ? words.All(w => TreeText.Contains(text, span, w))
        : words.Any(w => TreeText.Contains(text, span, w));
}
