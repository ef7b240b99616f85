using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// What a helper of the user's initializes, read from its syntax, so that it works for helpers in any file (an analyzer
/// builds no semantic model of another file, and the diagnostic stays live in the editor): init functions called on
/// one of its parameters (<c>init.xavier_uniform_(layer.weight)</c>, <c>init.kaiming_normal_(weight)</c>). The init
/// is recognized by its name, which only TorchSharp's init functions carry.
/// </summary>
internal static class InitHelpers
{
    private static readonly SourceMentions InitNames = SourceMentions.AnyOf("xavier_", "glorot_", "kaiming_");

    /// <summary>The parameter each init call in <paramref name="helper"/> initializes (by ordinal), and how.</summary>
    public static IEnumerable<(int Parameter, InitKind Kind)> Summary(IMethodSymbol helper)
    {
        foreach (var reference in helper.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax();
            if (!InitNames.In(declaration) || declaration is not BaseMethodDeclarationSyntax { ParameterList.Parameters: var parameters } method)
                continue;
            foreach (var call in method.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (Classify(call) is not { } kind || call.ArgumentList.Arguments.FirstOrDefault()?.Expression is not { } weight)
                    continue;
                string? name = weight switch
                {
                    MemberAccessExpressionSyntax { Name.Identifier.ValueText: "weight", Expression: IdentifierNameSyntax layer } => layer.Identifier.ValueText,
                    IdentifierNameSyntax given => given.Identifier.ValueText,
                    _ => null,
                };
                int ordinal = parameters.IndexOf(p => p.Identifier.ValueText == name);
                if (ordinal >= 0)
                    yield return (ordinal, kind);
            }
        }
    }

    /// <summary>The kind of an init call read from its syntax: its name, and a kaiming_'s <c>nonlinearity</c> as written.</summary>
    public static InitKind? Classify(InvocationExpressionSyntax call)
    {
        if (call.CalledName() is not { } name)
            return null;
        if (name.StartsWith("xavier_", StringComparison.Ordinal) || name.StartsWith("glorot_", StringComparison.Ordinal))
            return InitKind.Xavier;
        if (!name.StartsWith("kaiming_", StringComparison.Ordinal))
            return null;
        var nonlinearity = call.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "nonlinearity")?.Expression;
        string? written = (nonlinearity as MemberAccessExpressionSyntax)?.Name.Identifier.ValueText;
        return nonlinearity is null || written is "ReLU" or "LeakyReLU" ? InitKind.KaimingRectifier : InitKind.Other;
    }
}
