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

    /// <summary>
    /// The call <paramref name="name"/> names, the inverse of <see cref="CalledName"/>: <c>Run(...)</c>, <c>x.Run(...)</c>,
    /// either with the method group in parentheses or <c>checked(...)</c> before its argument list
    /// (<c>((x.Run))(...)</c>; one pair of parentheses would read as a cast); null when the name is no call's.
    /// </summary>
    public static InvocationExpressionSyntax? CallNamedBy(this Microsoft.CodeAnalysis.SyntaxToken name)
    {
        Microsoft.CodeAnalysis.SyntaxNode? callee = name.Parent switch
        {
            IdentifierNameSyntax { Parent: MemberAccessExpressionSyntax member } identifier when member.Name == identifier => member,
            IdentifierNameSyntax identifier => identifier,
            _ => null,
        };
        while (callee?.Parent is ParenthesizedExpressionSyntax or CheckedExpressionSyntax)
            callee = callee.Parent;
        return callee?.Parent is InvocationExpressionSyntax call && call.Expression == callee ? call : null;
    }

    /// <summary>The expression inside any parentheses and casts, as an operation's <c>WithoutConversions()</c> sees it by syntax.</summary>
    public static ExpressionSyntax WithoutParenthesesOrCasts(this ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        return expression;
    }
}
