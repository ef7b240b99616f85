using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// A call the compiler could not bind (code written against another TorchSharp version, an argument of the wrong type)
/// still names its method through its candidate symbols; the rules read it as that method when every candidate agrees.
/// </summary>
internal static class CandidateCalls
{
    public static bool TryGet(IInvalidOperation operation, out IMethodSymbol method, out IOperation? instance)
    {
        method = null!;
        instance = null;
        if (operation.Syntax is not InvocationExpressionSyntax call || operation.SemanticModel is not { } model)
            return false;
        var candidates = model.GetSymbolInfo(call).CandidateSymbols.OfType<IMethodSymbol>().ToList();
        if (candidates.Count == 0 || candidates.Any(c => c.Name != candidates[0].Name || !SymbolEqualityComparer.Default.Equals(c.ContainingType, candidates[0].ContainingType)))
            return false;
        method = candidates[0];
        if (call.Expression is MemberAccessExpressionSyntax member)
            instance = operation.ChildOperations.FirstOrDefault(c => c.Syntax == member.Expression);
        return true;
    }
}
