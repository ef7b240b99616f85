using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The names of a file's declarations that lead somewhere, to any depth, found from text alone: those a seed test
/// accepts, then those whose text may call a name already found, until no more are added. The text gates that spare
/// binding (<see cref="TrainingStepEvents.MayReach"/>, <see cref="HelperGate"/>) differ only in the seed and call tests.
/// </summary>
internal static class NameClosure
{
    /// <summary>Adds the leading names among <paramref name="declarations"/> to <paramref name="leading"/> and returns it.</summary>
    /// <param name="declarations">The methods, constructors or local functions to choose from.</param>
    /// <param name="leading">The names known to lead there already (a member's closure, extended by its local functions).</param>
    /// <param name="seeds">Whether a declaration leads there by itself.</param>
    /// <param name="mayCall">Whether the text of a span may call one of the names given: true for a union of sets of names
    /// exactly when true for one of them (each round passes only the names the round before found).</param>
    public static HashSet<string> Extend(IReadOnlyList<FileDeclarations.Declaration> declarations, HashSet<string> leading,
        Func<FileDeclarations.Declaration, bool> seeds, Func<TextSpan, HashSet<string>, bool> mayCall)
    {
        foreach (var declaration in declarations)
        {
            if (seeds(declaration))
                leading.Add(declaration.Name);
        }
        // Each round tests the declarations not found yet against the names the round before found, not against every
        // name found so far (both tests take any of several names, so a declaration that called none of the older
        // names calls none of them now): a name's text is searched for once per declaration, however many rounds a
        // long chain of helpers takes.
        var rest = declarations.Where(d => !leading.Contains(d.Name)).ToList();
        var newest = new HashSet<string>(leading, leading.Comparer);
        while (newest.Count > 0 && rest.Count > 0)
        {
            var found = new HashSet<string>(leading.Comparer);
            foreach (var declaration in rest)
            {
                if (!leading.Contains(declaration.Name) && mayCall(declaration.Node.Span, newest) && leading.Add(declaration.Name))
                    found.Add(declaration.Name);
            }
            rest.RemoveAll(d => leading.Contains(d.Name));
            newest = found;
        }
        return leading;
    }
}
