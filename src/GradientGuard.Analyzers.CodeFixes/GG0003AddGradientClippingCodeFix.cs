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

/// <summary>GG0003: inserts <c>torch.nn.utils.clip_grad_norm_(&lt;params&gt;, max_norm: 1.0);</c> right before the step.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0003AddGradientClippingCodeFix)), Shared]
public sealed class GG0003AddGradientClippingCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0003AddGradientClippingCodeFix()
        : base(RuleIds.StepWithoutGradientClipping)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0003.ClipGradNorm";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(GG0003StepWithoutGradientClippingAnalyzer.ParametersProperty, out var parameters) && parameters is not null &&
            Statement(root, diagnostic) is not null)
        {
            yield return CodeAction.Create("Clip the gradient norm before the step", c => AddClippingAsync(document, diagnostic, parameters, c), EquivalenceKey);
        }
    }

    private static StatementSyntax? Statement(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault();

    private static async Task<Document> AddClippingAsync(Document document, Diagnostic diagnostic, string parameters, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        if (root is null || Statement(root, diagnostic) is not { } statement)
            return document;

        // Only the generated callee is simplified: the parameters expression is the user's, copied as written.
        var callee = GeneratedCode.Expression("global::TorchSharp.torch.nn.utils.clip_grad_norm_");
        var clip = SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(callee, SyntaxFactory.ParseArgumentList($"({parameters}, max_norm: 1.0)")));
        return document.WithSyntaxRoot(StatementInserter.InsertBefore(root, statement, clip));
    }
}
