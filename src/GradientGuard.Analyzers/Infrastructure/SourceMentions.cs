using System;
using System.Collections.Concurrent;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Whether a file's text mentions the words a rule needs (<c>backward</c> and <c>step</c> for a training loop): a text
/// search, once per file, that spares a rule the operation walk of files that cannot hold what it looks for. Sound for
/// rules that only follow calls within one file, and for names that cannot be aliased (methods, <c>forward</c>).
/// </summary>
internal sealed class SourceMentions
{
    private readonly string[] words;
    private readonly bool all;
    private readonly ConcurrentDictionary<SyntaxTree, bool> files = new();

    private SourceMentions(string[] words, bool all)
    {
        this.words = words;
        this.all = all;
    }

    /// <summary>Files that mention every one of <paramref name="words"/>.</summary>
    public static SourceMentions AllOf(params string[] words) => new(words, all: true);

    /// <summary>Files that mention at least one of <paramref name="words"/>.</summary>
    public static SourceMentions AnyOf(params string[] words) => new(words, all: false);

    public bool In(SyntaxTree tree) => files.GetOrAdd(tree, t =>
    {
        string text = t.GetText().ToString();
        return all
            ? words.All(w => text.IndexOf(w, StringComparison.Ordinal) >= 0)
            : words.Any(w => text.IndexOf(w, StringComparison.Ordinal) >= 0);
    });
}
