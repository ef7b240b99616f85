using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0005: construction of TorchSharp's plain <c>RNN</c>. Its gradient through T steps holds T products with the same
/// recurrent matrix, so it vanishes or explodes on long sequences. GRU has the same forward shape; LSTM is the other
/// remedy. The declared type of a field or local typed <c>RNN</c> is an additional location, which the fix changes too.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0005PlainRnnAnalyzer : GradientGuardAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.PlainRnn,
        title: "Plain RNN where LSTM/GRU belong",
        messageFormat: "A plain RNN backpropagates through time by multiplying with the same recurrent matrix at every step: gradients vanish or explode over long sequences; use GRU (same forward shape) or LSTM",
        Categories.Architecture,
        RuleLevel.BuildWarning,
        description: "GRU and LSTM gates give the gradient an additive path through time.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    // nn.RNN(...) is named RNN wherever it is called (a method name cannot be aliased): a file must hold the word, a body
    // the whole name.
    private static readonly SourceMentions RnnFiles = SourceMentions.AnyName("RNN");

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        if (!RnnFiles.InAny(context.Compilation))
            return; // no file names RNN: not one callback per call
        // Read per file, like the other rules (FileBodies): only the bodies that name RNN are walked.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            if (!RnnFiles.In(file.SemanticModel.SyntaxTree))
                return;
            foreach (var body in FileBodies.Read(file.SemanticModel, file.FilterSpan, RnnFiles.In, file.CancellationToken))
            {
                foreach (var call in OperationIndex.Invocations(body.Operation))
                    Check(call, file.ReportDiagnostic);
            }
        });

        void Check(IInvocationOperation call, System.Action<Diagnostic> report)
        {
            if (call.TargetMethod.Name != "RNN" || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Nn) ||
                !SymbolEqualityComparer.Default.Equals(call.Type, torch.Rnn))
            {
                return;
            }
            var name = call.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } ? member.Name : (call.Syntax as InvocationExpressionSyntax)?.Expression;
            var declaredType = DeclaredRnnType(call, torch);
            var additional = declaredType is null ? Enumerable.Empty<Location>() : new[] { declaredType.GetLocation() };
            report(Diagnostic.Create(Rule, (name ?? call.Syntax).GetLocation(), additional));
        }
    }

    // "RNN rnn = nn.RNN(...)", a field typed RNN given the call in a constructor, or "RNN Create() => nn.RNN(...)": that
    // type must become GRU too.
    private static TypeSyntax? DeclaredRnnType(IInvocationOperation call, TorchSharpSymbols torch)
    {
        if (call.Parent.WithoutConversions() is IReturnOperation returned)
            return ReturnedRnnType(returned, torch);
        ISymbol? target = call.Parent.WithoutConversions() switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            IFieldInitializerOperation field when field.InitializedFields.Length == 1 => field.InitializedFields[0],
            ISimpleAssignmentOperation assignment => assignment.Target switch
            {
                IFieldReferenceOperation f => f.Field,
                IPropertyReferenceOperation p => p.Property,
                ILocalReferenceOperation l => l.Local,
                _ => null,
            },
            _ => null,
        };
        var type = target.HeldType();
        if (!SymbolEqualityComparer.Default.Equals(type, torch.Rnn) || target!.DeclaringSyntaxReferences.Length != 1 ||
            target.DeclaringSyntaxReferences[0].SyntaxTree != call.Syntax.SyntaxTree)
        {
            return null;
        }
        return target.DeclaringSyntaxReferences[0].GetSyntax() switch
        {
            VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } when !declaration.Type.IsVar => declaration.Type,
            PropertyDeclarationSyntax property => property.Type,
            _ => null,
        };
    }

    // The declared return type of the method, local function or property getter whose one return is the call.
    private static TypeSyntax? ReturnedRnnType(IReturnOperation returned, TorchSharpSymbols torch)
    {
        var body = returned.Root();
        if (OperationIndex.Descendants(body).Count(o => o is IReturnOperation) != 1) // yield return and yield break too
            return null; // other returns would keep producing an RNN
        var declaration = returned.Syntax.Ancestors().FirstOrDefault(n => n is MemberDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax);
        var type = declaration switch
        {
            MethodDeclarationSyntax method => method.ReturnType,
            LocalFunctionStatementSyntax local => local.ReturnType,
            PropertyDeclarationSyntax property => property.Type,
            _ => null,
        };
        return type is not null && returned.SemanticModel?.GetTypeInfo(type).Type is { } declared && SymbolEqualityComparer.Default.Equals(declared, torch.Rnn) ? type : null;
    }
}
