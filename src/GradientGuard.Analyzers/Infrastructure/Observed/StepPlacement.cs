using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>
/// Maps a finding whose fix is clipping (GG0003) to the training step that ran the check: the recorded call (a
/// <c>Check</c>, or the <c>WithMonitor</c> whose optimizer checked) names a file and line; the step is the first
/// <c>optimizer.step()</c> at or after that line in the same method (the only one, when all come before it). Returns null
/// when the method now clips its gradients between backward() and step() (the fix was applied), or when no step is there.
/// </summary>
internal static class StepPlacement
{
    /// <summary>Whether <paramref name="tree"/> is the recorded file: the same path, or, for a file recorded on another machine (CI), the same last two path segments.</summary>
    public static bool IsFile(SyntaxTree tree, string recorded)
    {
        string here = Normalize(tree.FilePath), there = Normalize(recorded);
        if (here.Length == 0)
            return false;
        if (string.Equals(here, there, StringComparison.Ordinal))
            return true;
        var a = here.Split('/');
        var b = there.Split('/');
        return a.Length >= 2 && b.Length >= 2 && a[a.Length - 1] == b[b.Length - 1] && a[a.Length - 2] == b[b.Length - 2];
    }

    private static string Normalize(string path) => path.Replace('\\', '/');

    /// <summary>The last two segments of a path ("Trainer/Program.cs"): two files can be the same file only if these match.</summary>
    public static string Tail(string path)
    {
        var parts = Normalize(path).Split('/');
        return parts.Length >= 2 ? parts[parts.Length - 2] + "/" + parts[parts.Length - 1] : Normalize(path);
    }

    public static (IInvocationOperation Step, string? Parameters)? Place(ObservedFinding finding, SemanticModel model, TrainingStepEvents events, CancellationToken cancellation)
    {
        var tree = model.SyntaxTree;
        var text = tree.GetText(cancellation);
        if (finding.CallLine < 1 || finding.CallLine > text.Lines.Count)
            return null;
        var line = text.Lines[finding.CallLine - 1];
        var root = tree.GetRoot(cancellation);
        var token = root.FindToken(line.End > line.Start ? line.Start + (line.End - line.Start) / 2 : line.Start);
        // The outermost member: a step inside a lambda of the method counts (loops written as callbacks).
        var member = token.Parent?.AncestorsAndSelf().LastOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or GlobalStatementSyntax);
        if (member is null || model.GetOperation(member, cancellation) is not { } body)
            return null;
        var calls = body.Descendants().OfType<IInvocationOperation>()
            .Select(c => (Call: c, Kind: events.Classify(c)))
            .Where(c => c.Kind is not null)
            .OrderBy(c => c.Call.Syntax.SpanStart)
            .ToList();
        if (calls.Any(c => c.Kind == TrainingEventKind.Clip))
            return null; // clipped now: the fix was applied
        var steps = calls.Where(c => c.Kind == TrainingEventKind.Step).Select(c => c.Call).ToList();
        var step = steps.FirstOrDefault(s => s.Syntax.SpanStart >= line.Start) ?? (steps.Count == 1 ? steps[0] : null);
        if (step is null)
            return null;
        // The optimizer's own parameters(): a GuardedOptimizer hands out the wrapped one's.
        string? parameters = step.Instance is { } optimizer ? optimizer.Syntax + ".parameters()" : null;
        return (step, parameters);
    }
}
