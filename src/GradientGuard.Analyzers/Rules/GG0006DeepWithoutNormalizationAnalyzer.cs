using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0006: a path of at least N (default 8) weight layers with no normalization layer and no residual addition (a
/// module class whose forward adds tensors is taken to be residual). When every layer but the last is a Linear or Conv2d
/// of constant width written directly in the Sequential's arguments, those layers are additional locations, after which
/// the fix inserts the normalization.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0006DeepWithoutNormalizationAnalyzer : GradientGuardAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.DeepWithoutNormalization,
        title: "Deep network without normalization or residual connections",
        messageFormat: "{0} weight layers in a row with no normalization and no residual connection: activation and gradient scales drift multiplicatively with depth",
        Categories.Architecture,
        RuleLevel.BuildWarning,
        description: "BatchNorm/LayerNorm re-center and re-scale every layer's output; residual connections give the gradient an identity path.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var paths = SequentialPaths.For(torch);
        var classes = ModuleClassPaths.For(torch);
        paths.RegisterForConstructions(context, (file, invocation) =>
        {
            if (paths.IsNested(invocation) ||
                SequentialLayerBound.Of(invocation.Syntax)?.Weights < RuleOptions.MinPlainDepth.Read(file.Options, invocation.Syntax.SyntaxTree) || // too few calls to be deep: not read
                paths.Elements(invocation) is not { } path || !TooDeep(path, file.Options, invocation.Syntax.SyntaxTree, out int depth))
            {
                return;
            }
            file.ReportDiagnostic(Diagnostic.Create(Rule, SequentialPaths.NameLocation(invocation.Syntax), FixableLayers(path, invocation), depth));
        });
        // Forwards are read per file, after the driver has bound its bodies (FileBodies): the members' creations a path
        // reads are bound already.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            foreach (var forward in classes.Forwards(file))
                CheckForward(forward, file, paths, classes);
        });
    }

    private static void CheckForward(FileBody forward, SemanticModelAnalysisContext file, SequentialPaths paths, ModuleClassPaths classes)
    {
        var body = forward.Operation;
        if (classes.MayBeDeepPlain(body, RuleOptions.MinPlainDepth.Read(file.Options, body.Syntax.SyntaxTree)) &&
            classes.Elements(body) is { } path && TooDeep(path, file.Options, body.Syntax.SyntaxTree, out int depth) &&
            !classes.AppliedSequentials(body).Any(s => paths.Elements(s) is { } own && TooDeep(own, file.Options, body.Syntax.SyntaxTree, out _)))
        {
            file.ReportDiagnostic(Diagnostic.Create(Rule, forward.Owner!.Locations[0], depth)); // unless a Sequential it applies is reported itself
        }
    }

    private static bool TooDeep(List<LayerElement> path, AnalyzerOptions options, SyntaxTree tree, out int depth)
    {
        depth = path.Count(e => e.Kind == LayerKind.Weight);
        return !path.Any(e => e.Kind is LayerKind.Normalization or LayerKind.Opaque) && depth >= RuleOptions.MinPlainDepth.Read(options, tree);
    }

    // Every weight layer but the last, when each is nn.Linear/nn.Conv2d(in, out, ...) with a constant out, written as an
    // argument (or ("name", layer) tuple) of this very Sequential: where the fix can insert a normalization layer.
    private static IEnumerable<Location> FixableLayers(List<LayerElement> path, IInvocationOperation sequential)
    {
        var hidden = path.Where(e => e.Kind == LayerKind.Weight).ToList();
        hidden.RemoveAt(hidden.Count - 1);
        var model = sequential.SemanticModel;
        bool fixable = hidden.All(e =>
            model?.GetOperation(e.Syntax) is IInvocationOperation { TargetMethod.Name: "Linear" or "Conv2d" } layer &&
            layer.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value.WithoutConversions()?.ConstantValue.HasValue == true &&
            e.Syntax.Ancestors().OfType<ArgumentSyntax>().FirstOrDefault(a => a.Parent?.Parent == sequential.Syntax) is not null);
        return fixable ? hidden.Select(e => e.Syntax.GetLocation()) : Enumerable.Empty<Location>();
    }
}
