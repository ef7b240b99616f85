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
public sealed class GG0004MoveClippingCodeFix : CodeFixProvider
{
    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0004.MoveBeforeStep";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIds.MisplacedClipping);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics.Where(d => d.AdditionalLocations.Count == 1))
            context.RegisterCodeFix(CodeAction.Create("Move the clipping between backward() and step()", c => MoveAsync(context.Document, diagnostic, c), EquivalenceKey), diagnostic);
        return Task.CompletedTask;
    }

    private static async Task<Document> MoveAsync(Document document, Diagnostic diagnostic, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        var clip = root?.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault();
        var step = root?.FindNode(diagnostic.AdditionalLocations[0].SourceSpan).AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault();
        if (root is null || clip is null || step is null || step == clip || clip.Parent is not (BlockSyntax or SwitchSectionSyntax))
            return document;

        var tracked = root.TrackNodes(clip, step);
        var moved = clip.WithoutLeadingTrivia().WithoutTrailingTrivia();
        var withoutClip = tracked.RemoveNode(tracked.GetCurrentNode(clip)!, Microsoft.CodeAnalysis.SyntaxRemoveOptions.KeepNoTrivia)!;
        var anchor = withoutClip.GetCurrentNode(step)!;
        return document.WithSyntaxRoot(StatementInserter.InsertBefore(withoutClip, anchor, moved));
    }
}
