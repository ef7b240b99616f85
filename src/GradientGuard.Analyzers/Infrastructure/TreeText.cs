using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Text tests on a file's source, for the syntax gates that decide which bodies a rule walks. Each answers "may" in a
/// way that can only let too much through (a word inside a longer name, or for the plain searches a word in a comment,
/// counts), never too little: a gate built on them keeps every report and spares the walks of bodies that cannot hold
/// one. A text search is far cheaper than walking the syntax it stands for.
/// </summary>
internal static class TreeText
{
    // Weak keys: the text lives as long as its tree, whichever compilation or rule asked.
    private static readonly ConditionalWeakTable<SyntaxTree, string> Texts = new();

    // The last tree asked about on this thread: a callback asks about one file many times, and a table lookup costs
    // more than the text test it serves. Forgotten when the callback ends (LastFileCaches).
    [ThreadStatic]
    private static SyntaxTree? lastTree;
    [ThreadStatic]
    private static string? lastText;

    /// <summary>Forgets the tree this thread asked about last (<see cref="LastFileCaches"/>).</summary>
    public static void ForgetLastFile() => (lastTree, lastText) = (null, null);

    /// <summary>The whole text of <paramref name="tree"/>, read once.</summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static string Of(SyntaxTree tree)
    {
        if (ReferenceEquals(tree, lastTree))
            return lastText!;
        string text = Texts.GetValue(tree, t => t.GetText().ToString());
        lastText = text;
        lastTree = tree;
        return text;
    }

    // Per file and word, whether the text holds it anywhere: several gates search a file for the same word, and several
    // analyzers ask about the same file at once. Words get a number once for all files (the gates' words are a few
    // dozen), and a file's answers are a byte per number, read and written without a lock.
    private const int MaxWords = 64;
    private const byte Unknown = 0, Absent = 1, Held = 2;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> WordNumbers = new(StringComparer.Ordinal);
    private static readonly string[] NumberedWords = new string[MaxWords];
    private static readonly ConditionalWeakTable<SyntaxTree, byte[]> Answers = new();

    /// <summary>Whether <paramref name="word"/> occurs anywhere in the text of <paramref name="tree"/> (searched once per file and word).</summary>
    public static bool FileHolds(SyntaxTree tree, string word) => FileHolds(tree, word, WordNumber(word));

    /// <summary>The number <see cref="FileHolds(SyntaxTree, string, int)"/> keeps a word's answers under (-1: not kept), given once for all files.</summary>
    public static int WordNumber(string word) =>
        WordNumbers.GetOrAdd(word, w =>
        {
            lock (NumberedWords)
            {
                int numbered = Array.IndexOf(NumberedWords, w); // a racing thread's factory may have numbered it first
                if (numbered >= 0)
                    return numbered;
                int next = Array.IndexOf(NumberedWords, null);
                if (next < 0)
                    return -1; // too many words to keep answers for
                for (int i = 0; i < next; i++)
                {
                    if (w.IndexOf(NumberedWords[i]!, StringComparison.Ordinal) >= 0)
                        Volatile.Write(ref Holding[next], Append(Holding[next], i));
                    if (NumberedWords[i]!.IndexOf(w, StringComparison.Ordinal) >= 0)
                        Volatile.Write(ref Holding[i], Append(Holding[i], next));
                }
                Volatile.Write(ref NumberedWords[next], w);
                return next;
            }
        });

    // Per word number, the numbers of the other words it holds (binary_cross_entropy: cross_entropy's), found once when a
    // word is numbered: a file that lacks one of them lacks the word too. Arrays are replaced, never changed, so read
    // without the lock.
    private static readonly int[]?[] Holding = new int[]?[MaxWords];

    /// <summary>The numbered words <paramref name="word"/> holds, as the shortcut of FileHolds knows them (for tests).</summary>
    internal static IEnumerable<string> WordsHeldBy(string word) =>
        WordNumber(word) is var number and >= 0 && Volatile.Read(ref Holding[number]) is { } held ? Array.ConvertAll(held, i => NumberedWords[i]!) : Array.Empty<string>();

    private static int[] Append(int[]? numbers, int number)
    {
        var longer = new int[(numbers?.Length ?? 0) + 1];
        numbers?.CopyTo(longer, 0);
        longer[longer.Length - 1] = number;
        return longer;
    }

    /// <summary>
    /// <see cref="FileHolds(SyntaxTree, string)"/> for a word numbered beforehand (<see cref="WordNumber"/>): the gates
    /// ask for every body of a file, and number their words once.
    /// </summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static bool FileHolds(SyntaxTree tree, string word, int number)
    {
        if (number < 0)
            return Of(tree).IndexOf(word, StringComparison.Ordinal) >= 0;
        var answers = Answers.GetValue(tree, _ => new byte[MaxWords]);
        byte known = Volatile.Read(ref answers[number]);
        if (known != Unknown)
            return known == Held;
        // A word that holds a word the file lacks (binary_cross_entropy, cross_entropy) needs no search.
        bool held = true;
        if (Volatile.Read(ref Holding[number]) is { } shorter)
        {
            foreach (int i in shorter)
                held &= Volatile.Read(ref answers[i]) != Absent;
        }
        held = held && Of(tree).IndexOf(word, StringComparison.Ordinal) >= 0;
        Volatile.Write(ref answers[number], held ? Held : Absent); // a racing thread writes the same
        return held;
    }

    /// <summary>Whether <paramref name="word"/> occurs in <paramref name="span"/>, anywhere.</summary>
    public static bool Contains(string text, TextSpan span, string word) => TextAt(text, span, word, span.Start) >= 0;

    /// <summary>Whether <paramref name="name"/> occurs in <paramref name="span"/> as a whole identifier (as any call of it must).</summary>
    public static bool ContainsName(string text, TextSpan span, string name) => NameAt(text, span, name, span.Start) >= 0;

    /// <summary>
    /// Whether <paramref name="name"/> occurs in <paramref name="span"/> of <paramref name="tree"/> as a whole identifier
    /// or keyword of the code: not in a comment, a string or disabled text, where a word says nothing of what the code
    /// calls (a comment's "backward pass" or "time step"). <paramref name="span"/> is the span or full span of a node of
    /// the code (not one inside a string or in trivia: see InCode), or the whole file's. A hit of the text search is
    /// looked up in the tree when a comment, a string or a directive may have opened before it.
    /// </summary>
    public static bool ContainsCodeName(SyntaxTree tree, TextSpan span, string name) =>
        InCode(tree, null, Of(tree), span, name, wholeName: true); // no enumerator: the gates ask this for every name and body

    /// <summary>Whether the code of <paramref name="node"/> (a method, a loop) names <paramref name="name"/> (<see cref="ContainsCodeName(SyntaxTree, TextSpan, string)"/>).</summary>
    public static bool ContainsCodeName(SyntaxNode node, string name) =>
        InCode(node.SyntaxTree, node, Of(node.SyntaxTree), node.Span, name, wholeName: true); // trivia holds no code: a doc comment's '/' would only defeat InCode's shortcut

    /// <summary>
    /// Whether <paramref name="word"/> occurs in the code of <paramref name="node"/>, inside an identifier or keyword
    /// (<c>igmoid</c> in <c>nn.Sigmoid()</c>), not in a comment, a string or disabled text; the first hit in code ends the
    /// search. A body that writes a rule's word only in a log message (<c>"forward pass"</c>) is not bound for it.
    /// </summary>
    public static bool ContainsInCode(SyntaxNode node, string text, string word, bool wholeName) =>
        InCode(node.SyntaxTree, node, text, node.Span, word, wholeName);

    /// <summary>
    /// <see cref="ContainsInCode"/> for the whole file of <paramref name="tree"/>: not kept (<see cref="SourceMentions"/>
    /// keeps its answers), and asked after <see cref="FileHolds(SyntaxTree, string, int)"/>, which rules most files out.
    /// </summary>
    public static bool FileHoldsInCode(SyntaxTree tree, string word, bool wholeName)
    {
        string text = Of(tree);
        return InCode(tree, null, text, new TextSpan(0, text.Length), word, wholeName);
    }

    // Whether `name` occurs in the code of `span` (CodeNameAt), without the token. A hit with no '/', '"', '\'' or '#'
    // between the span's start and itself is taken for code: a comment, a string, a character literal and a directive
    // (and the disabled text after it) each open with one, and none can be open at the start of a node of the code
    // (trivia is never split between tokens; the nodes inside an interpolated string or a doc comment are not passed
    // here). Only when one comes first is the hit looked up in the tree, from `within` (the tree's root when null). One
    // exception lets too much through, as a gate may: the second half of a merge conflict (after =======) is disabled
    // text that opens with none of them; such a file does not compile anyway.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static bool InCode(SyntaxTree tree, SyntaxNode? within, string text, TextSpan span, string name, bool wholeName)
    {
        int first = HitAt(text, span, name, span.Start, wholeName);
        if (first < 0)
            return false;
        if (text.IndexOfAny(Openers, span.Start, first - span.Start) < 0)
            return true;
        return CodeNameAt(within ?? tree.GetRoot(), text, span, name, first, wholeName, out _) >= 0;
    }

    private static readonly char[] Openers = { '/', '"', '\'', '#' };

    /// <summary>How an identifier spells a character by its code (<c>nn.\u0042CELoss()</c> calls BCELoss): text gates looking for a name miss it so spelled.</summary>
    public const string UnicodeEscape = "\\u";

    /// <summary>
    /// The identifier or keyword tokens <paramref name="name"/> is written as in the code of <paramref name="span"/>, a
    /// span of <paramref name="node"/> (<see cref="ContainsCodeName(SyntaxTree, TextSpan, string)"/>), in text order: a
    /// gate that needs the syntax around a name (the loop a <c>foreach</c> starts) looks there instead of walking every
    /// node of the span.
    /// </summary>
    public static IEnumerable<SyntaxToken> CodeNames(SyntaxNode node, TextSpan span, string name)
    {
        string text = Of(node.SyntaxTree);
        for (int at = CodeNameAt(node, text, span, name, span.Start, wholeName: true, out var token); at >= 0; at = CodeNameAt(node, text, span, name, at + 1, wholeName: true, out token))
            yield return token;
    }

    // The first occurrence of `name` at or after `from` within `span` that is an identifier or keyword token of the
    // code (with `wholeName` false, that lies inside one), and that token; -1 when there is none. A hit is looked up
    // from `within`, a node whose full span holds `span`: from a body rather than the file's root, the lookup starts
    // below the levels above it.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static int CodeNameAt(SyntaxNode within, string text, TextSpan span, string name, int from, bool wholeName, out SyntaxToken token)
    {
        for (int at = HitAt(text, span, name, from, wholeName); at >= 0; at = HitAt(text, span, name, at + 1, wholeName))
        {
            token = within.FindToken(at);
            if (token.Span.Contains(at) && (token.IsKind(SyntaxKind.IdentifierToken) || SyntaxFacts.IsKeywordKind(token.Kind())))
                return at;
        }
        token = default;
        return -1;
    }

    // The first occurrence of `name` at or after `from` within `span`, as a whole identifier or (`wholeName` false)
    // anywhere, or -1.
    private static int HitAt(string text, TextSpan span, string name, int from, bool wholeName) =>
        wholeName ? NameAt(text, span, name, from) : TextAt(text, span, name, from);

    // The first occurrence of `word` at or after `from` within `span`, or -1.
    private static int TextAt(string text, TextSpan span, string word, int from) =>
        from < span.End ? text.IndexOf(word, from, span.End - from, StringComparison.Ordinal) : -1;

    // The first whole-identifier occurrence of `name` at or after `from` within `span`, or -1.
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static int NameAt(string text, TextSpan span, string name, int from)
    {
        for (int at = TextAt(text, span, name, from); at >= 0; at = TextAt(text, span, name, at + 1))
        {
            int end = at + name.Length;
            if ((at == 0 || !IsIdentifierPart(text[at - 1])) && (end == text.Length || !IsIdentifierPart(text[end])))
                return at;
        }
        return -1;
    }

    /// <summary>
    /// Whether a <c>global using</c> directive of any file of <paramref name="compilation"/> mentions
    /// <paramref name="word"/>: the only way a file can give another file a name for a type it does not write (an alias,
    /// which must spell its target). Global usings stand at the top of the file, so only those directives are read, not
    /// the whole text, and once per compilation for every word (several rules ask at every compilation's start).
    /// </summary>
    public static bool GlobalUsingsMention(Compilation compilation, string word) =>
        GlobalUsings.GetValue(compilation, ReadGlobalUsings).IndexOf(word, StringComparison.Ordinal) >= 0;

    private static readonly ConditionalWeakTable<Compilation, string> GlobalUsings = new();
    private static readonly ConditionalWeakTable<SyntaxTree, string> TreeGlobalUsings = new();

    // The text of every global using directive of the compilation, one per line. Each tree's directives are read once
    // for every compilation that holds it: an editor's next compilation holds every tree but the one being typed in.
    private static string ReadGlobalUsings(Compilation compilation)
    {
        var text = new System.Text.StringBuilder();
        foreach (var tree in compilation.SyntaxTrees)
            text.Append(TreeGlobalUsings.GetValue(tree, ReadGlobalUsings));
        return text.ToString();
    }

    private static string ReadGlobalUsings(SyntaxTree tree)
    {
        if (tree.GetRoot() is not CompilationUnitSyntax { Usings.Count: > 0 } unit)
            return "";
        var text = new System.Text.StringBuilder();
        foreach (var directive in unit.Usings)
        {
            if (directive.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword))
                text.Append(Of(tree), directive.Span.Start, directive.Span.Length).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Whether <paramref name="span"/> of <paramref name="tree"/> may hold a <c>: base(...)</c> or <c>: this(...)</c> call;
    /// the span of a node of the code, as for <see cref="ContainsCodeName(SyntaxTree, TextSpan, string)"/>.
    /// </summary>
    public static bool MayCallConstructor(SyntaxTree tree, TextSpan span) => ContainsCodeName(tree, span, "base") || ContainsCodeName(tree, span, "this");

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_';
}
