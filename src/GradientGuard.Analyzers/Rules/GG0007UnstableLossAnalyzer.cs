using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0007: loss arithmetic that turns into NaN/Infinity or squashes gradients — a Sigmoid output fed to BCELoss /
/// binary_cross_entropy, log(softmax(x)) (also with "+ eps"), and a softmax output fed to cross_entropy /
/// CrossEntropyLoss, which applies log_softmax itself. Additional locations tell the fix what to rewrite: the activation
/// to drop (only when its output has no other use) and, for the module form, the loss's construction.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0007UnstableLossAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: which pattern (SigmoidBce, LogSoftmax, DoubleSoftmax).</summary>
    public const string PatternProperty = "Pattern";

    private const string Title = "Numerically unstable loss";
    private const string Description = "The fused, log-space forms of these losses are exact where the naive ones round to 0 and take its log.";

    internal static readonly DiagnosticDescriptor SigmoidBce = RuleDescriptors.Create(
        RuleIds.UnstableLoss,
        title: Title,
        messageFormat: "A Sigmoid output fed to {0}: for large logits the sigmoid rounds to 0 or 1 and log(0) gives -Infinity; use BCEWithLogitsLoss / binary_cross_entropy_with_logits on the logits",
        Categories.Numerics,
        RuleLevel.BuildWarning,
        description: Description);

    internal static readonly DiagnosticDescriptor LogSoftmax = RuleDescriptors.Create(
        RuleIds.UnstableLoss,
        title: Title,
        messageFormat: "log(softmax(x)) underflows to log(0) = -Infinity for unlikely classes; use log_softmax(x, dim), which computes it stably",
        Categories.Numerics,
        RuleLevel.BuildWarning,
        description: Description);

    internal static readonly DiagnosticDescriptor DoubleSoftmax = RuleDescriptors.Create(
        RuleIds.UnstableLoss,
        title: Title,
        messageFormat: "A softmax output fed to {0}, which applies log_softmax itself: softmax twice squashes the gradients; pass the logits",
        Categories.Numerics,
        RuleLevel.BuildWarning,
        description: Description);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(SigmoidBce, LogSoftmax, DoubleSoftmax);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var paths = SequentialPaths.For(torch);
        var classes = ModuleClassPaths.For(torch);
        var bceLoss = torch.BceLoss;
        var crossEntropyLoss = torch.CrossEntropyLoss;
        // A loss module's forward or call needs an expression typed BCELoss or CrossEntropyLoss, which only a compilation
        // that names one of them in its code (a factory call, a declared type, an alias) or references another assembly
        // built on TorchSharp (a helper returning one) can hold: elsewhere a body that names only forward or call, as
        // most of a model's do, is not read for this rule. Asked once, when such a body is first met. An identifier may
        // spell the name with a Unicode escape (nn.\u0042CELoss()): code that writes one anywhere counts as naming both.
        // (A formatting character inside the name, such as a soft hyphen, which the compiler drops from identifiers,
        // still gets through; so do such spellings of the words of the body gates, as of every text gate of the rules.)
        var compilation = context.Compilation;
        var lossModules = new Lazy<bool>(() => LossModuleTypes.InAny(compilation) || EscapedNames.InAny(compilation) ||
                                               TorchSharpSymbols.AnotherAssemblyUsesTorchSharp(compilation));
        bool MayCallALoss(SyntaxNode body) => LossFunctions.In(body) || (ModuleCalls.In(body) && lossModules.Value);

        // Read per file, after the driver has bound its bodies (FileBodies): a model's forward or a member's creation the
        // check reads is bound already. No file is skipped for naming no sigmoid or softmax: an activation module's type
        // may be named only in another file (a base class's field, a factory's return type, a global alias).
        LastFileCaches.RegisterFileAction(context, file =>
        {
            foreach (var body in FileBodies.Read(file.SemanticModel, file.FilterSpan, MayCallALoss, file.CancellationToken))
            {
                foreach (var call in OperationIndex.Invocations(body.Operation))
                    Check(call, file.ReportDiagnostic);
            }
        });

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        void Check(IInvocationOperation call, Action<Diagnostic> report)
        {
            var method = call.TargetMethod;
            if (method.Name is not ("log" or "binary_cross_entropy" or "cross_entropy" or "forward" or "call"))
                return; // a name test before any symbol comparison
            bool functional = SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Functional);

            // log(softmax(x)), log(softmax(x) + eps)
            if (method.Name == "log" && (SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Torch) || TorchSharpSymbols.DerivesFrom(method.ContainingType, torch.Tensor)))
            {
                var argument = (call.Instance ?? call.Arguments.FirstOrDefault()?.Value).WithoutConversions();
                if (argument is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } plusEps)
                    argument = plusEps.LeftOperand.WithoutConversions();
                if (Activation(argument, "softmax", torch) is { } softmax)
                    Report(report, LogSoftmax, call, "LogSoftmax", softmax, creation: null, method.Name);
                return;
            }

            IOperation? input;
            string lossName;
            IOperation? creation = null;
            if (functional && method.Name is "binary_cross_entropy" or "cross_entropy")
            {
                input = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
                lossName = method.Name;
            }
            else if (method.Name is "forward" or "call" && call.Instance?.Type is { } lossType &&
                     (SymbolEqualityComparer.Default.Equals(lossType, bceLoss) || SymbolEqualityComparer.Default.Equals(lossType, crossEntropyLoss)))
            {
                input = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
                lossName = lossType.Name;
                creation = Creation(call.Instance, torch);
            }
            else
            {
                return;
            }

            bool binary = lossName is "binary_cross_entropy" or "BCELoss";
            if (Activation(input.WithoutConversions(), binary ? "sigmoid" : "softmax", torch) is { } activation)
                Report(report, binary ? SigmoidBce : DoubleSoftmax, call, binary ? "SigmoidBce" : "DoubleSoftmax", activation, creation, lossName);
            else if (binary && ModelEndingInSigmoid(input.WithoutConversions(), paths, classes) is not null)
                report(Diagnostic.Create(SigmoidBce, call.Syntax.GetLocation(), lossName)); // the model's own last layer: no automatic fix
        }
    }

    // A body that may call log or a cross-entropy function, or a loss module's forward or call: one of those names as
    // a whole identifier of its code (a method name cannot be aliased).
    private static readonly SourceMentions LossFunctions = SourceMentions.AnyName("log", "cross_entropy", "binary_cross_entropy");
    private static readonly SourceMentions ModuleCalls = SourceMentions.AnyName("forward", "call");
    private static readonly SourceMentions LossModuleTypes = SourceMentions.AnyName("BCELoss", "CrossEntropyLoss");
    private static readonly SourceMentions EscapedNames = SourceMentions.AnyOf(TreeText.UnicodeEscape); // inside an identifier of the code, not a string's escape

    // model.call(x) / model.forward(x), possibly through a local holding its output, where the model's path ends in a
    // Sigmoid: a Sequential built in the same body, or held in a field or property given it in its initializer or
    // constructor, or a module class whose forward ends in one.
    private static ISymbol? ModelEndingInSigmoid(IOperation? output, SequentialPaths paths, ModuleClassPaths classes)
    {
        if (output is ILocalReferenceOperation held)
            output = ValueAt(held.Local, held);
        if (output is not IInvocationOperation { TargetMethod.Name: "call" or "forward", Instance: { } model } || model.SemanticModel is not { } semanticModel)
            return null;
        var instance = model.WithoutConversions();
        List<LayerElement>? path = null;
        if (instance is ILocalReferenceOperation local)
        {
            path = ValueAt(local.Local, instance) is IInvocationOperation sequential && paths.IsConstruction(sequential) ? paths.Elements(sequential) : null;
        }
        else if (instance is IFieldReferenceOperation or IPropertyReferenceOperation && OptimizerOrigin.ReferencedSymbol(instance) is { } member)
        {
            path = paths.MemberCreation(member, semanticModel) is { } creation && paths.IsConstruction(creation) ? paths.Elements(creation) : null;
        }
        if (path is null && instance?.Type is INamedTypeSymbol type)
        {
            var forward = type.GetMembers("forward").OfType<IMethodSymbol>().SelectMany(m => m.DeclaringSyntaxReferences).FirstOrDefault(r => r.SyntaxTree == semanticModel.SyntaxTree);
            path = forward is not null && semanticModel.GetOperation(forward.GetSyntax()) is { } body && classes.IsForward(semanticModel.GetDeclaredSymbol(forward.GetSyntax())!) ? classes.Elements(body) : null;
        }
        return path is { Count: > 0 } && path[path.Count - 1] is { Kind: LayerKind.Saturating } last && IsSigmoid(last, semanticModel) ? model.Type : null;
    }

    // The value a local holds where it is used: its last declaration or assignment before the use, in the same body.
    private static IOperation? ValueAt(ILocalSymbol local, IOperation use) =>
        OperationIndex.Descendants(use.Root())
            .Select(o => o switch
            {
                IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, local) => (o, d.GetVariableInitializer()?.Value),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } a when SymbolEqualityComparer.Default.Equals(target.Local, local) => (o, a.Value),
                _ => (o, (IOperation?)null),
            })
            .Where(p => p.Item2 is not null && p.o.Syntax.Span.End <= use.Syntax.SpanStart)
            .OrderBy(p => p.o.Syntax.SpanStart)
            .LastOrDefault().Item2.WithoutConversions();

    private static bool IsSigmoid(LayerElement element, SemanticModel model) =>
        model.GetOperation(element.Syntax) is IInvocationOperation call && (call.TargetMethod.Name == "sigmoid" || call.Type?.Name == "Sigmoid");

    private static void Report(Action<Diagnostic> report, DiagnosticDescriptor descriptor, IInvocationOperation call, string pattern,
        IInvocationOperation activation, IOperation? creation, string lossName)
    {
        // The fix drops or rewrites the activation only where it is written inline: a local's value may be used elsewhere.
        bool inline = call.Syntax.Span.Contains(activation.Syntax.Span);
        var additional = inline ? new[] { activation.Syntax.GetLocation() } : Array.Empty<Location>();
        if (inline && creation is not null && pattern == "SigmoidBce")
            additional = additional.Append(creation.Syntax.GetLocation()).ToArray();
        bool moduleCall = activation.TargetMethod.Name is "call" or "forward";
        bool fixable = inline && (pattern != "SigmoidBce" || call.TargetMethod.Name == "binary_cross_entropy" || creation is not null) &&
                       !(pattern == "LogSoftmax" && moduleCall); // a Softmax module carries its dim in its construction
        var properties = ImmutableDictionary<string, string?>.Empty.Add(PatternProperty, fixable ? pattern : null);
        report(Diagnostic.Create(descriptor, call.Syntax.GetLocation(), additional, properties, lossName));
    }

    // sigmoid(x) / softmax(x, dim) as torch.*, nn.functional.* or a tensor method; through a local assigned in the same body.
    private static IInvocationOperation? Activation(IOperation? operation, string name, TorchSharpSymbols torch)
    {
        if (operation is ILocalReferenceOperation local)
        {
            operation = OperationIndex.Descendants(operation.Root()).OfType<IVariableDeclaratorOperation>()
                .FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local.Local))?.GetVariableInitializer()?.Value.WithoutConversions();
        }
        // A Sigmoid/Softmax module applied to the logits: act.call(x).
        if (operation is IInvocationOperation { TargetMethod.Name: "call" or "forward", Instance: { } module } moduleCall &&
            module.Type?.ContainingAssembly?.Name == "TorchSharp" && string.Equals(module.Type.Name, name, StringComparison.OrdinalIgnoreCase))
        {
            return moduleCall;
        }
        return operation is IInvocationOperation call && call.TargetMethod.Name == name &&
               (SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Functional) ||
                SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, torch.Torch) ||
                TorchSharpSymbols.DerivesFrom(call.TargetMethod.ContainingType, torch.Tensor) ||
                call.TargetMethod.ContainingType?.Name == "special")
            ? call
            : null;
    }

    // The nn.BCELoss(...) call that created a local or field loss, in the same body or the field's initializer.
    private static IOperation? Creation(IOperation? instance, TorchSharpSymbols torch)
    {
        var symbol = instance.WithoutConversions() switch
        {
            ILocalReferenceOperation l => (ISymbol)l.Local,
            IFieldReferenceOperation f => f.Field,
            _ => null,
        };
        if (symbol is null || instance is null)
            return null;
        var value = symbol is ILocalSymbol
            ? OperationIndex.Descendants(instance.Root()).OfType<IVariableDeclaratorOperation>().FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, symbol))?.GetVariableInitializer()?.Value
            : symbol.DeclaringSyntaxReferences.FirstOrDefault() is { } reference && reference.SyntaxTree == instance.Syntax.SyntaxTree &&
              reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: var initializer }
                ? instance.SemanticModel?.GetOperation(initializer)
                : null;
        return value.WithoutConversions() is IInvocationOperation factory && SymbolEqualityComparer.Default.Equals(factory.TargetMethod.ContainingType, torch.Nn) ? factory : null;
    }
}
