using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
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
    // One entry per file for all instances, a slot per instance holding which of its words the file's text holds: every
    // rule asks several of them about the same file in turn, and a table lookup (or a table per instance, a weak handle
    // per file each) costs more than the answer. The answers depend on the text only, so instances are static and
    // shared by every compilation.
    private const int Slots = 32;
    private const int Known = 1 << 30;
    private static readonly ConditionalWeakTable<SyntaxTree, Answers> Files = new();
    private static int instances;

    private readonly string[] words;
    private readonly bool all;
    private readonly bool wholeNames;
    private readonly int slot;
    private readonly int every;

    private SourceMentions(string[] words, bool all, bool wholeNames)
    {
        if (words.Length > 30)
            throw new ArgumentException("At most 30 words.", nameof(words));
        this.words = words;
        this.all = all;
        this.wholeNames = wholeNames;
        every = (1 << words.Length) - 1;
        slot = Interlocked.Increment(ref instances) - 1;
    }

    /// <summary>Text that mentions every one of <paramref name="words"/>.</summary>
    public static SourceMentions AllOf(params string[] words) => new(words, all: true, wholeNames: false);

    /// <summary>Text that mentions at least one of <paramref name="words"/>.</summary>
    public static SourceMentions AnyOf(params string[] words) => new(words, all: false, wholeNames: false);

    /// <summary>Text that holds at least one of <paramref name="names"/> as a whole identifier (as any call of it writes it).</summary>
    public static SourceMentions AnyName(params string[] names) => new(names, all: false, wholeNames: true);

    /// <summary>Whether the whole file mentions the words (computed once per file).</summary>
    public bool In(SyntaxTree tree)
    {
        int held = Held(tree);
        return all ? held == every : held != 0;
    }

    /// <summary>
    /// Whether any file of the compilation mentions the words: a rule whose every check is gated by these words on a
    /// file registers nothing when none does, so it costs no callback per method or call (computed once per file).
    /// </summary>
    public bool InAny(Compilation compilation) => compilation.SyntaxTrees.Any(In);

    /// <summary>
    /// Whether the text of <paramref name="node"/> (a method, say) mentions the words: only the words its file holds are
    /// searched for, so a body of a file that holds none costs no search at all.
    /// </summary>
    public bool In(SyntaxNode node)
    {
        var tree = node.SyntaxTree;
        int held = Held(tree);
        if (all ? held != every : held == 0)
            return false;
        string text = TreeText.Of(tree);
        var span = node.FullSpan;
        for (int i = 0; i < words.Length; i++)
        {
            if ((held & (1 << i)) == 0)
                continue;
            bool found = wholeNames ? TreeText.ContainsName(text, span, words[i]) : TreeText.Contains(text, span, words[i]);
            if (found != all)
                return !all;
        }
        return all;
    }

    // Which of the words the file holds, one bit each (a word inside a longer name or a comment counts).
    private int Held(SyntaxTree tree)
    {
        if (slot >= Slots)
            return Find(tree); // more instances than slots: not kept
        var answers = ReferenceEquals(tree, lastTree) ? lastAnswers! : Files.GetValue(tree, _ => new Answers());
        (lastTree, lastAnswers) = (tree, answers);
        int known = Volatile.Read(ref answers.Values[slot]);
        if (known != 0)
            return known & ~Known;
        int held = Find(tree);
        Volatile.Write(ref answers.Values[slot], held | Known); // a racing thread writes the same
        return held;
    }

    private int Find(SyntaxTree tree)
    {
        int held = 0;
        for (int i = 0; i < words.Length; i++)
        {
            if (TreeText.FileHolds(tree, words[i]))
                held |= 1 << i;
        }
        return held;
    }

    // The last file asked about on this thread, whichever instance asked.
    [ThreadStatic]
    private static SyntaxTree? lastTree;
    [ThreadStatic]
    private static Answers? lastAnswers;

    private sealed class Answers
    {
        public readonly int[] Values = new int[Slots];
    }
}
