using System;
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
/// GG0002 (mismatched init): replaces the init call in place with the one that suits the activation after the layer —
/// <c>init.kaiming_normal_(w, nonlinearity: ReLU)</c> before ReLU-family, <c>init.xavier_uniform_(w, gain:
/// calculate_gain(Tanh or Sigmoid))</c> before a saturating one — keeping the user's weight expression as written.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0002SuitInitializationCodeFix)), Shared]
public sealed class GG0002SuitInitializationCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0002SuitInitializationCodeFix()
        : base(RuleIds.Initialization)
    {
    }

    /// <summary>Equivalence key of the action that corrects a mismatched init call.</summary>
    public const string EquivalenceKey = "GG0002.SuitActivation";

    /// <summary>Equivalence key of the action that adds init calls to a deep stack left at the default init.</summary>
    public const string AddInitKey = "GG0002.AddInit";

    private const string Init = "global::TorchSharp.torch.nn.init.";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(GG0002InitializationAnalyzer.ActivationProperty, out var activation) && activation is not null)
        {
            string title = activation == "ReLU" ? "Use kaiming_normal_ for ReLU" : $"Use xavier_uniform_ with the {activation} gain";
            yield return CodeAction.Create(title, c => FixAsync(document, diagnostic, activation, c), EquivalenceKey);
        }
        else if (diagnostic.Properties.TryGetValue(GG0002InitializationAnalyzer.InitPlanProperty, out var plan) && plan is not null &&
                 SingleConstructorBody(root, diagnostic) is not null)
        {
            yield return CodeAction.Create("Initialize each layer for its activation", c => InitializeFieldsAsync(document, diagnostic, plan, c), AddInitKey);
        }
        else if (diagnostic.Properties.TryGetValue(GG0002InitializationAnalyzer.InitFamilyProperty, out var family) && family is not null &&
                 SequentialStatement(root, diagnostic).Statement is not null)
        {
            yield return CodeAction.Create($"Initialize the Linear layers for {family}", c => InitializeSequentialAsync(document, diagnostic, family, c), AddInitKey);
        }
    }

    // The module class's one constructor with a block body, where the init calls go.
    private static ConstructorDeclarationSyntax? SingleConstructorBody(SyntaxNode root, Diagnostic diagnostic)
    {
        var type = root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
        var constructors = type?.Members.OfType<ConstructorDeclarationSyntax>().Where(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword)).ToList();
        return constructors is { Count: 1 } && constructors[0].Body is not null ? constructors[0] : null;
    }

    // var model = nn.Sequential(...); or model = nn.Sequential(...);: the statement an apply() goes after, and the model's name.
    private static (StatementSyntax? Statement, string? Model) SequentialStatement(SyntaxNode root, Diagnostic diagnostic)
    {
        var call = root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
        return call?.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax local } } declarator } =>
                (local, declarator.Identifier.ValueText),
            AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax assignment } set when set.Right == call =>
                (assignment, set.Left.ToString()),
            _ => (null, null),
        };
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

        // The user's weight expression goes in as written; only the generated names are simplified. Comments stay: those
        // inside the parentheses hang on the parentheses, which are kept, and on the weight, kept in the static form (in
        // w.normal_(...) its leading trivia is the statement's indentation).
        var generated = (InvocationExpressionSyntax)GeneratedCode.Expression(InitCall("WEIGHT", activation));
        var placeholder = generated.ArgumentList.Arguments[0];
        var arguments = generated.ArgumentList.ReplaceNode(placeholder, placeholder.WithExpression(method.IsStatic ? weight : weight.WithoutTrivia()))
            .WithOpenParenToken(call.ArgumentList.OpenParenToken)
            .WithCloseParenToken(call.ArgumentList.CloseParenToken);
        var replacement = generated.WithArgumentList(arguments).WithTriviaFrom(call);
        return document.WithSyntaxRoot(root.ReplaceNode(call, replacement));
    }

    // Module class: init calls for each held layer at the end of its constructor.
    private static async Task<Document> InitializeFieldsAsync(Document document, Diagnostic diagnostic, string plan, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        if (root is null || SingleConstructorBody(root, diagnostic) is not { Body: { } body } constructor)
            return document;

        var parameters = constructor.ParameterList.Parameters.Select(p => p.Identifier.ValueText).ToList();
        var statements = plan.Split(';').SelectMany(entry =>
        {
            int equals = entry.IndexOf('=');
            string layer = entry.Substring(0, equals), need = entry.Substring(equals + 1);
            string receiver = parameters.Contains(layer) ? "this." + layer : layer; // a constructor parameter may shadow the field
            var lines = new List<string> { InitCall(receiver + ".weight", need.Replace("+b", "")) + ";" };
            if (need.EndsWith("+b", StringComparison.Ordinal))
                lines.Add($"{Init}zeros_({receiver}.bias!);");
            return lines;
        }).Select(GeneratedCode.Statement);
        return document.WithSyntaxRoot(StatementInserter.Append(root, body, statements.ToArray()));
    }

    // var model = nn.Sequential(...); or model = nn.Sequential(...); gets an apply() right after it.
    private static async Task<Document> InitializeSequentialAsync(Document document, Diagnostic diagnostic, string family, CancellationToken cancellation)
    {
        var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
        if (root is null || SequentialStatement(root, diagnostic) is not ({ } statement, { } model))
            return document;

        // The lambda's lines are laid out here, under the statement's own indentation and line ending.
        string indent = statement.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault().ToString();
        string newLine = statement.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).LastOrDefault().ToString() is { Length: > 0 } eol ? eol : "\n";
        var lines = new[]
        {
            model + ".apply(module =>",
            "{",
            "    if (module is global::TorchSharp.Modules.Linear linear)",
            "    {",
            "        " + InitCall("linear.weight", family) + ";",
            "        if (linear.bias is not null)",
            "            " + Init + "zeros_(linear.bias);",
            "    }",
            "});",
        };
        var apply = GeneratedCode.Statement(string.Join(newLine + indent, lines));
        return document.WithSyntaxRoot(StatementInserter.InsertAfter(root, statement, apply));
    }

    // The init call that suits the activation after the layer ("none": an output layer, Xavier with gain 1).
    private static string InitCall(string weight, string activation) => activation switch
    {
        "ReLU" => $"{Init}kaiming_normal_({weight}, nonlinearity: {Init}NonlinearityType.ReLU)",
        "none" => $"{Init}xavier_uniform_({weight})",
        _ => $"{Init}xavier_uniform_({weight}, gain: {Init}calculate_gain({Init}NonlinearityType.{activation}))",
    };
}
