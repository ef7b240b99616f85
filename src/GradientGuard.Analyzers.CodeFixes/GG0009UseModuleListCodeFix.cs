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
/// GG0009: retypes the field as <c>ModuleList&lt;T&gt;</c> (<c>ParameterList</c> for parameters, <c>ModuleDict&lt;T&gt;</c> for a
/// string-keyed Dictionary), and its creations with it; an array's <c>.Length</c> becomes <c>.Count</c>. Not offered for a
/// sized array (<c>new Linear[n]</c>), which a ModuleList cannot mirror.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GG0009UseModuleListCodeFix)), Shared]
public sealed class GG0009UseModuleListCodeFix : GradientGuardCodeFix
{
    /// <summary>Creates the fix.</summary>
    public GG0009UseModuleListCodeFix()
        : base(RuleIds.UnregisteredLayers)
    {
    }

    /// <summary>Equivalence key of the action.</summary>
    public const string EquivalenceKey = "GG0009.ModuleList";

    private const string Modules = "global::TorchSharp.Modules.";

    private protected override IEnumerable<CodeAction> Actions(Document document, SyntaxNode root, Diagnostic diagnostic)
    {
        if (Plan(root, diagnostic) is { } plan)
            yield return CodeAction.Create($"Use {plan.Title}", c => Task.FromResult(Apply(document, root, plan)), EquivalenceKey);
    }

    private sealed record FixPlan(string Title, VariableDeclaratorSyntax Declarator, TypeSyntax Type, string NewType, string Element, List<SyntaxNode> Creations, List<SimpleNameSyntax> Lengths);

    private static FixPlan? Plan(SyntaxNode root, Diagnostic diagnostic)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } declarator)
            return null;
        bool parameters = diagnostic.Properties.TryGetValue(GG0009UnregisteredLayersAnalyzer.ElementProperty, out var element) && element == "Parameter";
        string? elementType = declaration.Type switch
        {
            ArrayTypeSyntax array => array.ElementType.ToString(),
            GenericNameSyntax { Identifier.ValueText: "List", TypeArgumentList.Arguments.Count: 1 } list => list.TypeArgumentList.Arguments[0].ToString(),
            GenericNameSyntax { Identifier.ValueText: "Dictionary", TypeArgumentList.Arguments: { Count: 2 } args } when args[0] is PredefinedTypeSyntax { Keyword.ValueText: "string" } => args[1].ToString(),
            _ => null,
        };
        if (elementType is null)
            return null;
        bool dictionary = declaration.Type is GenericNameSyntax { Identifier.ValueText: "Dictionary" };
        string newType = parameters ? Modules + "ParameterList" : Modules + (dictionary ? "ModuleDict<" : "ModuleList<") + elementType + ">";

        // Every creation assigned to the field in its class: the initializer and constructor assignments.
        var type = declarator.Ancestors().OfType<TypeDeclarationSyntax>().First();
        var values = new List<ExpressionSyntax>();
        if (declarator.Initializer is { } initializer)
            values.Add(initializer.Value);
        values.AddRange(type.DescendantNodes().OfType<AssignmentExpressionSyntax>().Where(a => Names(a.Left, declarator.Identifier.ValueText)).Select(a => a.Right));
        if (values.Any(v => v is ArrayCreationExpressionSyntax { Initializer: null } || v is not (ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax)))
            return null; // new Linear[n], or a value from elsewhere: no faithful rewrite
        var lengths = type.DescendantNodes().OfType<MemberAccessExpressionSyntax>()
            .Where(m => m.Name.Identifier.ValueText == "Length" && Names(m.Expression, declarator.Identifier.ValueText))
            .Select(m => m.Name)
            .ToList();
        string title = parameters ? "ParameterList" : dictionary ? "ModuleDict" : "ModuleList";
        return new FixPlan(title, declarator, declaration.Type, newType, elementType, values.Cast<SyntaxNode>().ToList(), lengths);
    }

    private static Document Apply(Document document, SyntaxNode root, FixPlan plan)
    {
        var nodes = plan.Creations.Append(plan.Type).Concat(plan.Lengths);
        return document.WithSyntaxRoot(root.ReplaceNodes(nodes, (original, rewritten) => rewritten switch
        {
            TypeSyntax type when original == plan.Type => GeneratedCode.Type(plan.NewType).WithTriviaFrom(type),
            SimpleNameSyntax length => SyntaxFactory.IdentifierName("Count").WithTriviaFrom(length),
            ObjectCreationExpressionSyntax creation => creation.WithType(GeneratedCode.Type(plan.NewType).WithTriviaFrom(creation.Type)),
            ImplicitObjectCreationExpressionSyntax implicitCreation => implicitCreation,
            ArrayCreationExpressionSyntax array => FromElements(plan.NewType, array.Initializer!.Expressions).WithTriviaFrom(array),
            ImplicitArrayCreationExpressionSyntax array => FromElements(plan.NewType, array.Initializer.Expressions).WithTriviaFrom(array),
            _ => rewritten,
        }));
    }

    // new[] { a, b } -> new ModuleList<T>(a, b): its constructor takes the elements as params.
    private static ObjectCreationExpressionSyntax FromElements(string type, SeparatedSyntaxList<ExpressionSyntax> elements) =>
        SyntaxFactory.ObjectCreationExpression(
            GeneratedCode.Type(type).WithLeadingTrivia(SyntaxFactory.Space),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(elements.Select(e => SyntaxFactory.Argument(e.WithoutTrivia())))),
            initializer: null);

    private static bool Names(ExpressionSyntax expression, string field) => expression switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText == field,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText == field,
        _ => false,
    };
}
