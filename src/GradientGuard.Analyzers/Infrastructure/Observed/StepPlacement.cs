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
/// <c>optimizer.step()</c> at or after that line in the same method (the only one, when all come before it). When that
/// method has no step and the line stores the optimizer in a field or property (a <c>WithMonitor</c> in a constructor or
/// builder), the step is the first one called on that member in its type's declarations in the same file. Says
/// <see cref="StepOutcome.Clipped"/> when the step's method now clips its gradients (the fix was applied: silent),
/// <see cref="StepOutcome.Stale"/> when the file no longer has the recorded line, <see cref="StepOutcome.NoStep"/> when no
/// step is found (the model class gets the finding).
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

    public static StepPlacementResult Place(ObservedFinding finding, SemanticModel model, TrainingStepEvents events, CancellationToken cancellation)
    {
        var tree = model.SyntaxTree;
        var text = tree.GetText(cancellation);
        if (finding.CallLine < 1 || finding.CallLine > text.Lines.Count)
            return StepPlacementResult.Stale; // the file is shorter than the recorded line: it changed since the run
        var line = text.Lines[finding.CallLine - 1];
        var root = tree.GetRoot(cancellation);
        var token = root.FindToken(line.End > line.Start ? line.Start + (line.End - line.Start) / 2 : line.Start);
        // The outermost member: a step inside a lambda of the method counts (loops written as callbacks).
        var member = token.Parent?.AncestorsAndSelf().LastOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or GlobalStatementSyntax);
        if (member is not null && model.GetOperation(member, cancellation) is { } body)
        {
            var calls = Events(body, events);
            if (calls.Any(c => c.Kind == TrainingEventKind.Clip))
                return StepPlacementResult.Clipped; // clipped now: the fix was applied
            var steps = calls.Where(c => c.Kind == TrainingEventKind.Step).Select(c => c.Call).ToList();
            if ((steps.FirstOrDefault(s => s.Syntax.SpanStart >= line.Start) ?? (steps.Count == 1 ? steps[0] : null)) is { } step)
                return StepPlacementResult.On(step);
        }
        // No step in that method: the recorded call may be a WithMonitor(...) that stores the optimizer in a field or
        // property (in a constructor, a builder method or the field's initializer); its steps are found through it.
        return OptimizerMember(token, line, model, cancellation) is { } optimizer ? Through(optimizer, model, events, cancellation) : StepPlacementResult.NoStep;
    }

    private static List<(IInvocationOperation Call, TrainingEventKind? Kind)> Events(IOperation body, TrainingStepEvents events) =>
        OperationIndex.Invocations(body)
            .Select(c => (Call: c, Kind: events.Classify(c)))
            .Where(c => c.Kind is not null)
            .OrderBy(c => c.Call.Syntax.SpanStart)
            .ToList();

    // The field or property of the recorded line's type that the line assigns, or whose initializer the line is.
    private static ISymbol? OptimizerMember(SyntaxToken token, Microsoft.CodeAnalysis.Text.TextLine line, SemanticModel model, CancellationToken cancellation)
    {
        foreach (var node in token.Parent?.AncestorsAndSelf() ?? Enumerable.Empty<SyntaxNode>())
        {
            switch (node)
            {
                case AssignmentExpressionSyntax assignment when assignment.Span.IntersectsWith(line.Span):
                    var target = model.GetSymbolInfo(assignment.Left, cancellation).Symbol;
                    if (target is IFieldSymbol or IPropertySymbol)
                        return target;
                    break;
                case VariableDeclaratorSyntax declarator when declarator.Parent?.Parent is FieldDeclarationSyntax:
                    return model.GetDeclaredSymbol(declarator, cancellation);
                case PropertyDeclarationSyntax property when property.Initializer is not null:
                    return model.GetDeclaredSymbol(property, cancellation);
                case MemberDeclarationSyntax:
                    return null;
            }
        }
        return null;
    }

    // The steps called on that field or property in its type's declarations in this file: the first one, in its method,
    // unless that method clips.
    private static StepPlacementResult Through(ISymbol optimizer, SemanticModel model, TrainingStepEvents events, CancellationToken cancellation)
    {
        var methods = optimizer.ContainingType.DeclaringSyntaxReferences
            .Where(r => r.SyntaxTree == model.SyntaxTree)
            .Select(r => r.GetSyntax(cancellation))
            .OfType<TypeDeclarationSyntax>()
            .SelectMany(t => t.Members.OfType<BaseMethodDeclarationSyntax>());
        foreach (var method in methods)
        {
            if (model.GetOperation(method, cancellation) is not { } body)
                continue;
            var calls = Events(body, events);
            var step = calls.Where(c => c.Kind == TrainingEventKind.Step).Select(c => c.Call)
                .FirstOrDefault(c => c.Instance?.WithoutConversions() is IMemberReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Member, optimizer));
            if (step is null)
                continue;
            return calls.Any(c => c.Kind == TrainingEventKind.Clip) ? StepPlacementResult.Clipped : StepPlacementResult.On(step);
        }
        return StepPlacementResult.NoStep;
    }
}
