using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes.Infrastructure;
using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>GG0008: inserts <c>&lt;optimizer&gt;.zero_grad();</c> as the first statement of the loop body.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0008AddZeroGradCodeFix)), Shared]
public sealed class GG0008AddZeroGradCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0008AddZeroGradCodeFix()
        : base(RuleIds.GradientsNeverReset)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0008.ZeroGrad";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(GG0008GradientsNeverResetAnalyzer.OptimizerProperty, out var optimizer) && optimizer is not null && Body(root, diagnostic) is not null)
            yield return CodeAction.Create($"Call {optimizer}.zero_grad() at the start of the loop", c => FixAsync(document, diagnostic, optimizer, c), EquivalenceKey);
    }

    private static StatementSyntax? Body(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan).Ancestors().Select(LoopBody).FirstOrDefault(b => b is not null);

    private static async Task<Document> FixAsync(Document document, Diagnostic diagnostic, string optimizer, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        if (root is null || Body(root, diagnostic) is not { } body)
            return document;

        var zeroGrad = SyntaxFactory.ParseStatement(optimizer + ".zero_grad();");
        return document.WithSyntaxRoot(body switch
        {
            BlockSyntax { Statements.Count: > 0 } block => StatementInserter.InsertBefore(root, block.Statements[0], zeroGrad),
            BlockSyntax block => StatementInserter.Append(root, block, new[] { zeroGrad }),
            _ => StatementInserter.InsertBefore(root, body, zeroGrad),
        });
    }

    private static StatementSyntax? LoopBody(SyntaxNode node) => node switch
    {
        ForStatementSyntax loop => loop.Statement,
        ForEachStatementSyntax loop => loop.Statement,
        ForEachVariableStatementSyntax loop => loop.Statement,
        WhileStatementSyntax loop => loop.Statement,
        DoStatementSyntax loop => loop.Statement,
        _ => null,
    };
}
