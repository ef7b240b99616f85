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

/// <summary>
/// GG0007: log(softmax(x)) becomes log_softmax(x, dim); a softmax fed to cross_entropy is dropped; a sigmoid fed to
/// BCE is dropped and the loss becomes its with-logits form (binary_cross_entropy_with_logits, BCEWithLogitsLoss,
/// including the declared type of the loss variable). Offered only where the activation is written inline.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0007StableLossCodeFix)), Shared]
public sealed class GG0007StableLossCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0007StableLossCodeFix()
        : base(RuleIds.UnstableLoss)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0007.StableForm";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(GG0007UnstableLossAnalyzer.PatternProperty, out var pattern) || pattern is null)
            yield break;
        string title = pattern switch
        {
            "LogSoftmax" => "Use log_softmax",
            "DoubleSoftmax" => "Pass the logits (drop the softmax)",
            _ => "Use the with-logits loss and drop the sigmoid",
        };
        yield return CodeAction.Create(title, c => FixAsync(document, diagnostic, pattern, c), EquivalenceKey);
    }

    private static async Task<Document> FixAsync(Document document, Diagnostic diagnostic, string pattern, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
        if (root is null || model is null)
            return document;
        var loss = Invocation(root, diagnostic.Location);
        var activation = Invocation(root, diagnostic.AdditionalLocations[0]);
        // x.softmax() is a tensor method; torch.softmax(x), nn.functional.softmax(x) and a module's call(x) take the input as argument.
        bool onTensor = model.GetSymbolInfo(activation, cancellation).Symbol is IMethodSymbol { IsStatic: false, Name: not ("call" or "forward") };
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();

        if (pattern == "LogSoftmax")
        {
            replacements[loss] = LogSoftmaxOf(activation, onTensor).WithTriviaFrom(loss);
        }
        else
        {
            replacements[activation] = InputOf(activation, onTensor).WithTriviaFrom(activation);
            if (pattern == "SigmoidBce" && Name(loss) == "binary_cross_entropy")
                replacements[loss.Expression] = NameRewriter.WithLastName(loss.Expression, "binary_cross_entropy_with_logits");
            if (pattern == "SigmoidBce" && diagnostic.AdditionalLocations.Count > 1)
            {
                var creation = Invocation(root, diagnostic.AdditionalLocations[1]);
                replacements[creation.Expression] = NameRewriter.WithLastName(creation.Expression, "BCEWithLogitsLoss");
                if (creation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Type: var type } } } && !type.IsVar)
                    replacements[type] = NameRewriter.WithLastName(type, "BCEWithLogitsLoss");
            }
        }

        // The edited nodes never contain one another (the activation is an argument, the renamed callee is not).
        return document.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
    }

    // x.softmax(dim) -> x.log_softmax(dim); torch.softmax(x, dim) / F.softmax(x, dim) -> nn.functional.log_softmax(x, dim)
    private static InvocationExpressionSyntax LogSoftmaxOf(InvocationExpressionSyntax softmax, bool onTensor)
    {
        if (onTensor && softmax.Expression is MemberAccessExpressionSyntax member)
            return softmax.WithExpression(NameRewriter.WithLastName(member, "log_softmax"));
        var arguments = SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(softmax.ArgumentList.Arguments.Take(2)));
        return SyntaxFactory.InvocationExpression(GeneratedCode.Expression("global::TorchSharp.torch.nn.functional.log_softmax"), arguments);
    }

    // softmax(x, dim) -> x; x.sigmoid() -> x
    private static ExpressionSyntax InputOf(InvocationExpressionSyntax activation, bool onTensor) =>
        onTensor && activation.Expression is MemberAccessExpressionSyntax member
            ? member.Expression.WithoutTrivia()
            : activation.ArgumentList.Arguments[0].Expression.WithoutTrivia();

    private static InvocationExpressionSyntax Invocation(SyntaxNode root, Location location) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().First();

    private static string? Name(SyntaxNode node) => node switch
    {
        InvocationExpressionSyntax call => Name(call.Expression),
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => null,
    };
}
