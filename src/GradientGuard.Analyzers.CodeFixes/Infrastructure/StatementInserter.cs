using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>Inserts a new statement right before an existing one, wherever that one stands (block, switch section, top level, or embedded).</summary>
internal static class StatementInserter
{
    public static SyntaxNode InsertBefore(SyntaxNode root, StatementSyntax anchor, StatementSyntax inserted)
    {
        // The new line takes the anchor's indentation and line ending, so the file keeps its own style.
        var indentation = anchor.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var lineEnding = anchor.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).LastOrDefault();
        inserted = inserted
            .WithLeadingTrivia(indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation))
            .WithTrailingTrivia(lineEnding == default ? SyntaxFactory.ElasticCarriageReturnLineFeed : lineEnding);
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
}
