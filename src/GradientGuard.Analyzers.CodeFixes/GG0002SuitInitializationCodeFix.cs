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
/// GG0002 (mismatched init): replaces the init call in place with the one that suits the activation after the layer —
/// <c>init.kaiming_normal_(w, nonlinearity: ReLU)</c> before ReLU-family, <c>init.xavier_uniform_(w, gain:
/// calculate_gain(Tanh or Sigmoid))</c> before a saturating one — keeping the user's weight expression as written.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0002SuitInitializationCodeFix)), Shared]
public sealed class GG0002SuitInitializationCodeFix : CodeFixProvider
{
    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0002.SuitActivation";

    private const string Init = "global::TorchSharp.torch.nn.init.";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIds.Initialization);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(GG0002InitializationAnalyzer.ActivationProperty, out var activation) || activation is null)
                continue; // the deep-default-init diagnostic: see docs/rules/GG0002.md for the init to add
            string title = activation == "ReLU" ? "Use kaiming_normal_ for ReLU" : $"Use xavier_uniform_ with the {activation} gain";
            context.RegisterCodeFix(CodeAction.Create(title, c => FixAsync(context.Document, diagnostic, activation, c), EquivalenceKey), diagnostic);
        }
        return Task.CompletedTask;
    }

    private static async Task<Document> FixAsync(Document document, Diagnostic diagnostic, string activation, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
        var call = root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
        if (root is null || model is null || call is null || model.GetSymbolInfo(call, cancellation).Symbol is not IMethodSymbol method)
            return document;

        // init.normal_(w, ...) names the weight first; w.normal_(...) is a method on it.
        ExpressionSyntax? weight = method.IsStatic
            ? call.ArgumentList.Arguments.FirstOrDefault()?.Expression
            : (call.Expression as MemberAccessExpressionSyntax)?.Expression;
        if (weight is null)
            return document;

        var (function, argument, value) = activation == "ReLU"
            ? ("kaiming_normal_", "nonlinearity", GeneratedCode.Expression($"{Init}NonlinearityType.ReLU"))
            : ("xavier_uniform_", "gain", GeneratedCode.Expression($"{Init}calculate_gain({Init}NonlinearityType.{activation})"));
        var replacement = SyntaxFactory.InvocationExpression(
                GeneratedCode.Expression(Init + function),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
                {
                    SyntaxFactory.Argument(weight.WithoutTrivia()),
                    SyntaxFactory.Argument(value).WithNameColon(SyntaxFactory.NameColon(argument)),
                })))
            .WithTriviaFrom(call);
        return document.WithSyntaxRoot(root.ReplaceNode(call, replacement));
    }
}
