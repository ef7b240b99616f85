using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The names of a file's declarations that lead somewhere, to any depth, found from text alone: those a seed test
/// accepts, then those whose text may call a name already found, until no more are added. The text gates that spare
/// binding (<see cref="TrainingStepEvents.MayReach"/>, <see cref="HelperGate"/>) differ only in the seed test and in
/// where a name may be called.
/// </summary>
internal static class NameClosure
{
    /// <summary>Adds the leading names among <paramref name="declarations"/> to <paramref name="leading"/> and returns it.</summary>
    /// <param name="declarations">The methods, constructors or local functions to choose from.</param>
    /// <param name="leading">The names known to lead there already (a member's closure, extended by its local functions).</param>
    /// <param name="seeds">Whether a declaration leads there by itself.</param>
    /// <param name="callSites">
    /// Where in a span the code may call a name (each name's identifier tokens, say), or null when a call of it needs no
    /// name in the text (then every declaration may call it).
    /// </param>
    /// <remarks>
    /// Each name found is searched for once, in the span the declarations cover, and each place it is written adds the
    /// declarations that hold it: a search per name, not one per name and declaration at every round (the rounds
    /// searched the file's text again for every name found so far).
    /// </remarks>
    public static HashSet<string> Extend(IReadOnlyList<FileDeclarations.Declaration> declarations, HashSet<string> leading,
        Func<FileDeclarations.Declaration, bool> seeds, Func<string, TextSpan, IEnumerable<TextSpan>?> callSites)
    {
        foreach (var declaration in declarations)
        {
            if (seeds(declaration))
                leading.Add(declaration.Name);
        }
        var rest = declarations.Where(d => !leading.Contains(d.Name)).ToList();
        if (rest.Count == 0)
            return leading;
        var span = TextSpan.FromBounds(rest.Min(d => d.Node.Span.Start), rest.Max(d => d.Node.Span.End));
        var pending = new Queue<string>(leading);
        while (pending.Count > 0 && rest.Count > 0)
        {
            var sites = callSites(pending.Dequeue(), span)?.ToList();
            foreach (var declaration in rest)
            {
                if ((sites is null || sites.Any(site => declaration.Node.Span.Contains(site))) && leading.Add(declaration.Name))
                    pending.Enqueue(declaration.Name);
            }
            rest.RemoveAll(d => leading.Contains(d.Name));
        }
        return leading;
    }
}
