using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Whether source text mentions the words a rule needs (<c>backward</c> and <c>step</c> for a training loop): a text
/// search that spares a rule the operation walk of files or methods that cannot hold what it looks for. Sound for
/// rules that only follow calls within one file, and for names that cannot be aliased (methods, <c>forward</c>).
/// Only the code counts (identifiers and keywords, not comments, strings or disabled text: what a file or a body writes
/// there decides whether a rule binds it), and a word may match inside a longer name: the test only ever lets too much
/// through, never too little.
/// </summary>
internal sealed class SourceMentions
{
    // One entry per file for all instances, a slot per instance: every rule asks several of them about the same file
    // in turn, and a table lookup (or a table per instance, a weak handle per file each) costs more than the answer.
    // The answers depend on the text only, so instances are static and shared by every compilation.
    private const int Slots = 32;
    private static readonly ConditionalWeakTable<SyntaxTree, Answers> Files = new();
    private static int instances;

    private readonly string[] words;
    private readonly int[] numbers; // the words' numbers for TreeText.FileHolds
    private readonly bool all;
    private readonly bool wholeNames;
    private readonly int slot;

    private SourceMentions(string[] words, bool all, bool wholeNames)
    {
        this.words = words;
        numbers = Array.ConvertAll(words, TreeText.WordNumber);
        this.all = all;
        this.wholeNames = wholeNames;
        slot = Interlocked.Increment(ref instances) - 1;
    }

    /// <summary>Text that mentions every one of <paramref name="words"/>.</summary>
    public static SourceMentions AllOf(params string[] words) => new(words, all: true, wholeNames: false);

    /// <summary>Text that mentions at least one of <paramref name="words"/>.</summary>
    public static SourceMentions AnyOf(params string[] words) => new(words, all: false, wholeNames: false);

    /// <summary>Text that holds at least one of <paramref name="names"/> as a whole identifier (as any call of it writes it).</summary>
    public static SourceMentions AnyName(params string[] names) => new(names, all: false, wholeNames: true);

    /// <summary>
    /// Whether the file's code mentions the words (computed once per file and instance; the plain text search of each
    /// word, the first test, once per file whichever instance asks).
    /// </summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public bool In(SyntaxTree tree)
    {
        if (slot >= Slots)
            return Mentions(tree); // more instances than slots: not kept
        var answers = ReferenceEquals(tree, lastTree) ? lastAnswers! : Files.GetValue(tree, _ => new Answers());
        (lastTree, lastAnswers) = (tree, answers);
        byte known = Volatile.Read(ref answers.Values[slot]);
        if (known != Answers.Unknown)
            return known == Answers.Yes;
        bool answer = Mentions(tree);
        Volatile.Write(ref answers.Values[slot], answer ? Answers.Yes : Answers.No); // a racing thread writes the same
        return answer;
    }

    /// <summary>
    /// Whether any file of the compilation mentions the words: a rule whose every check is gated by these words on a
    /// file registers nothing when none does, so it costs no callback per method or call (computed once per file).
    /// </summary>
    public bool InAny(Compilation compilation) => compilation.SyntaxTrees.Any(In);

    /// <summary>
    /// Whether the code of <paramref name="node"/> (a method, say) mentions the words: in its identifiers and keywords,
    /// not its comments, strings or disabled text (<see cref="TreeText.ContainsInCode"/>), since what a body mentions
    /// there decides whether a rule binds it. A word its file does not hold is not searched for in the node: that is
    /// known once per file, where every body of the file would search for it.
    /// </summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public bool In(SyntaxNode node)
    {
        var tree = node.SyntaxTree;
        string text = TreeText.Of(tree);
        for (int i = 0; i < words.Length; i++)
        {
            string word = words[i];
            bool found = TreeText.FileHolds(tree, word, numbers[i]) && TreeText.ContainsInCode(node, text, word, wholeNames);
            if (found != all)
                return !all;
        }
        return all;
    }

    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private bool Mentions(SyntaxTree tree)
    {
        for (int i = 0; i < words.Length; i++)
        {
            bool found = TreeText.FileHolds(tree, words[i], numbers[i]) && TreeText.FileHoldsInCode(tree, words[i], wholeNames);
            if (found != all)
                return !all;
        }
        return all;
    }

    /// <summary>Forgets the file this thread asked about last (<see cref="LastFileCaches"/>).</summary>
    public static void ForgetLastFile() => (lastTree, lastAnswers) = (null, null);

    // The last file asked about on this thread, whichever instance asked; forgotten when the callback ends (LastFileCaches).
    [ThreadStatic]
    private static SyntaxTree? lastTree;
    [ThreadStatic]
    private static Answers? lastAnswers;

    private sealed class Answers
    {
        public const byte Unknown = 0, No = 1, Yes = 2;
        public readonly byte[] Values = new byte[Slots];
    }
}
