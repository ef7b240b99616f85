using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Small helpers over syntax, for the places that read code without binding it.</summary>
internal static class SyntaxExtensions
{
    /// <summary>The name a call is made by: <c>clip_grad_norm_</c> in <c>nn.utils.clip_grad_norm_(...)</c> or <c>clip_grad_norm_(...)</c>.</summary>
    public static string? CalledName(this InvocationExpressionSyntax call) => call.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The expression inside any parentheses and casts, as an operation's <c>WithoutConversions()</c> sees it by syntax.</summary>
    public static ExpressionSyntax WithoutParenthesesOrCasts(this ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        return expression;
    }
}
