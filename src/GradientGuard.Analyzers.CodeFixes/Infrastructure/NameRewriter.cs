using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.CodeFixes.Infrastructure;

/// <summary>
/// Renames the last name of an expression or type — <c>nn.Sigmoid</c> → <c>nn.ReLU</c>, <c>TorchSharp.Modules.RNN</c> →
/// <c>TorchSharp.Modules.GRU</c>, <c>Sigmoid</c> → <c>ReLU</c> — keeping whatever prefix and trivia the user wrote.
/// </summary>
internal static class NameRewriter
{
    public static ExpressionSyntax WithLastName(ExpressionSyntax expression, string name) => expression switch
    {
        MemberAccessExpressionSyntax member => member.WithName(Renamed(member.Name, name)),
        QualifiedNameSyntax qualified => qualified.WithRight(Renamed(qualified.Right, name)),
        SimpleNameSyntax simple => Renamed(simple, name),
        _ => expression,
    };

    public static TypeSyntax WithLastName(TypeSyntax type, string name) => (TypeSyntax)WithLastName((ExpressionSyntax)type, name);

    private static SimpleNameSyntax Renamed(SimpleNameSyntax name, string text) =>
        name.WithIdentifier(SyntaxFactory.Identifier(name.Identifier.LeadingTrivia, text, name.Identifier.TrailingTrivia));
}
