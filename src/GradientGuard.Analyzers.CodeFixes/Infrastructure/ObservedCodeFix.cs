using System.Collections.Generic;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using GradientGuard.Analyzers.Infrastructure.Observed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>
/// Base of the observed rules' fixes: each offers the static rule's fix that applies the finding's advice (the diagnostic's
/// <see cref="ObservedGradientAnalyzer.FixRuleProperty"/>), by running that fix itself on the observed diagnostic, which
/// carries what it reads. No fix code is repeated here; the static fix decides whether it can change the code.
/// </summary>
public abstract class ObservedCodeFix : GradientGuardCodeFix
{
    private readonly Dictionary<string, GradientGuardCodeFix> fixes;

    private protected ObservedCodeFix(string ruleId, params GradientGuardCodeFix[] staticFixes)
        : base(ruleId)
    {
        fixes = staticFixes.ToDictionary(f => f.FixableDiagnosticIds[0], f => f);
    }

    private protected sealed override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(ObservedGradientAnalyzer.FixRuleProperty, out var rule) && rule is not null && fixes.TryGetValue(rule, out var fix)
            ? fix.ActionsFor(document, root, diagnostic)
            : Enumerable.Empty<CodeAction>();
}
