using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>Inserts a new statement right before an existing one, wherever that one stands (block, switch section, top level, or embedded).</summary>
internal static class StatementInserter
{
    /// <summary>Inserts a new statement right after an existing one in a block or at the top level.</summary>
    public static SyntaxNode InsertAfter(SyntaxNode root, StatementSyntax anchor, StatementSyntax inserted)
    {
        inserted = LikeAnchor(inserted, anchor);
        return anchor.Parent is GlobalStatementSyntax global
            ? root.InsertNodesAfter(global, new[] { SyntaxFactory.GlobalStatement(inserted) })
            : root.InsertNodesAfter(anchor, new[] { inserted });
    }

    /// <summary>Appends new statements at the end of a block, laid out like its last statement.</summary>
    public static SyntaxNode Append(SyntaxNode root, BlockSyntax block, StatementSyntax[] inserted)
    {
        var last = block.Statements.LastOrDefault();
        var laidOut = inserted.Select(s => last is null ? s.WithAdditionalAnnotations(Formatter.Annotation) : LikeAnchor(s, last)).ToArray();
        return root.ReplaceNode(block, block.AddStatements(laidOut));
    }

    public static SyntaxNode InsertBefore(SyntaxNode root, StatementSyntax anchor, StatementSyntax inserted)
    {
        inserted = LikeAnchor(inserted, anchor);
        switch (anchor.Parent)
        {
            case BlockSyntax:
            case SwitchSectionSyntax:
                return root.InsertNodesBefore(anchor, new[] { inserted });
            case GlobalStatementSyntax global:
                return root.InsertNodesBefore(global, new[] { SyntaxFactory.GlobalStatement(inserted) });
            default:
                // An embedded statement (if (x) opt.step();): both go into a new block.
                var block = SyntaxFactory.Block(inserted, anchor)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(anchor, block);
        }
    }

    // The new statement takes the anchor's indentation and line ending, so the file keeps its own style; the
    // formatter lays out what is inside it (a lambda, a nested block).
    private static StatementSyntax LikeAnchor(StatementSyntax inserted, StatementSyntax anchor)
    {
        var indentation = anchor.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var lineEnding = anchor.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).LastOrDefault();
        return inserted
            .WithLeadingTrivia(indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation))
            .WithTrailingTrivia(lineEnding == default ? SyntaxFactory.ElasticCarriageReturnLineFeed : lineEnding)
            .WithAdditionalAnnotations(Formatter.Annotation);
    }
}
