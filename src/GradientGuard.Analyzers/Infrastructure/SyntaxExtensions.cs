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
}
