using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>
/// Base of every GradientGuard fix: one rule, Fix All through the batch fixer (document, project, solution; what
/// <c>dotnet format</c> uses), and only actions that can change the code. An action that hands back the document
/// unchanged is a light bulb that does nothing, and Fix All gives up on it ("didn't return a Fix All action"), so each
/// fix decides from the syntax, before registering, whether it applies.
/// </summary>
public abstract class GradientGuardCodeFix : CodeFixProvider
{
    private protected GradientGuardCodeFix(string ruleId) => FixableDiagnosticIds = ImmutableArray.Create(ruleId);

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var action in Actions(context.Document, root, diagnostic))
                context.RegisterCodeFix(action, diagnostic);
        }
    }

    /// <summary>The actions for one diagnostic: none where the fix cannot change the code.</summary>
    private protected abstract IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic);

    /// <summary>
    /// This fix's actions for a diagnostic of another rule that carries what this fix reads (its location, additional
    /// locations and properties): the observed rules (GG1001-GG1003) offer the static fix that applies through it.
    /// </summary>
    internal IEnumerable<CodeAction> ActionsFor(Document document, SyntaxNode root, Diagnostic diagnostic) => Actions(document, root, diagnostic);
}
