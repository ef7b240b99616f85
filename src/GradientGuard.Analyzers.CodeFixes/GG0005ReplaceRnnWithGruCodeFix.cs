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
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.CodeFixes;

/// <summary>
/// GG0005: <c>nn.RNN(...)</c> becomes <c>nn.GRU(...)</c>, which TorchSharp gives the same forward shape. Input size, hidden
/// size, layers, bias, batchFirst, dropout, bidirectional, device and dtype carry over (their positions line up once the
/// RNN-only <c>nonLinearity</c> is dropped); a field or local typed <c>RNN</c> is retyped <c>GRU</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0005ReplaceRnnWithGruCodeFix)), Shared]
public sealed class GG0005ReplaceRnnWithGruCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0005ReplaceRnnWithGruCodeFix()
        : base(RuleIds.PlainRnn)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0005.GRU";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (Call(root, diagnostic) is not null)
            yield return CodeAction.Create("Use GRU", c => FixAsync(document, diagnostic, c), EquivalenceKey);
    }

    private static InvocationExpressionSyntax? Call(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();

    private static async Task<Document> FixAsync(Document document, Diagnostic diagnostic, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
        if (root is null || model is null || Call(root, diagnostic) is not { } call)
            return document;

        var nonLinearity = (model.GetOperation(call, cancellation) as IInvocationOperation)?.Arguments
            .FirstOrDefault(a => a.Parameter?.Name == "nonLinearity" && a.ArgumentKind == ArgumentKind.Explicit)?.Syntax as ArgumentSyntax;
        var types = diagnostic.AdditionalLocations.Select(l => root.FindNode(l.SourceSpan, getInnermostNodeForTie: true)).OfType<TypeSyntax>().ToList();

        var nodes = types.Cast<SyntaxNode>().Append(call);
        return document.WithSyntaxRoot(root.ReplaceNodes(nodes, (original, rewritten) => rewritten switch
        {
            InvocationExpressionSyntax invocation => Gru(invocation, nonLinearity is null ? -1 : call.ArgumentList.Arguments.IndexOf(nonLinearity)),
            TypeSyntax type => NameRewriter.WithLastName(type, "GRU"),
            _ => rewritten,
        }));
    }

    private static InvocationExpressionSyntax Gru(InvocationExpressionSyntax call, int dropped)
    {
        var arguments = dropped < 0 ? call.ArgumentList : call.ArgumentList.WithArguments(call.ArgumentList.Arguments.RemoveAt(dropped));
        return call.WithExpression(NameRewriter.WithLastName(call.Expression, "GRU")).WithArgumentList(arguments);
    }
}
