using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>
/// GG0004 (misplaced): moves the clipping statement, as written, to right before the step it should protect. A useless
/// bound has no automatic fix: only the author knows the bound they meant.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0004MoveClippingCodeFix)), Shared]
public sealed class GG0004MoveClippingCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0004MoveClippingCodeFix()
        : base(RuleIds.MisplacedClipping)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0004.MoveBeforeStep";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (Statements(root, diagnostic) is ({ } clip, { } step) && step != clip && clip.Parent is BlockSyntax or SwitchSectionSyntax)
            yield return CodeAction.Create("Move the clipping between backward() and step()", c => MoveAsync(document, diagnostic, c), EquivalenceKey);
    }

    // The clip's statement and the step's, when the diagnostic names the step it belongs before.
    private static (ExpressionStatementSyntax? Clip, StatementSyntax? Step) Statements(SyntaxNode root, Diagnostic diagnostic) =>
        diagnostic.AdditionalLocations.Count != 1
            ? (null, null)
            : (root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault(),
               root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan).AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault());

    private static async Task<Document> MoveAsync(Document document, Diagnostic diagnostic, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        if (root is null || Statements(root, diagnostic) is not ({ } clip, { } step) || step == clip || clip.Parent is not (BlockSyntax or SwitchSectionSyntax))
            return document;

        var tracked = root.TrackNodes(clip, step);
        var moved = clip.WithoutLeadingTrivia().WithoutTrailingTrivia();
        var withoutClip = tracked.RemoveNode(tracked.GetCurrentNode(clip)!, Microsoft.CodeAnalysis.SyntaxRemoveOptions.KeepNoTrivia)!;
        var anchor = withoutClip.GetCurrentNode(step)!;
        return document.WithSyntaxRoot(StatementInserter.InsertBefore(withoutClip, anchor, moved));
    }
}
