using System;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0001: a Sequential whose path holds at least N (default 3) Sigmoid/Tanh activations between weight layers with no
/// normalization in the run. Sigmoid passes on at most 0.25x of the gradient, so it vanishes toward the input. The
/// diagnostic is on the Sequential; each hidden activation is an additional location (the fix replaces exactly those).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0001SaturatingActivationStackAnalyzer : GradientGuardAnalyzer
{

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.SaturatingActivationStack,
        title: "Deep stack of saturating activations",
        messageFormat: "{0} hidden Sigmoid/Tanh activations between weight layers with no normalization: each passes on at most 0.25x (Sigmoid) or 1x (Tanh) of the gradient, so it vanishes toward the input",
        Categories.Architecture,
        RuleLevel.BuildWarning,
        description: "Hidden layers with ReLU-family activations keep the gradient's size; saturating ones shrink it layer after layer.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var paths = SequentialPaths.For(torch);
        var classes = ModuleClassPaths.For(torch);
        paths.RegisterForConstructions(context, (file, invocation) =>
        {
            // A Sequential's layers are torch.nn factory calls written in its own file (nested, in a local or a field
            // of the file): a file that names neither Sigmoid nor Tanh has no saturating one, and a Sequential whose
            // syntax holds fewer such calls than a run needs has no run; neither is read for this rule.
            if (SaturatingNames.In(invocation.Syntax.SyntaxTree) && !paths.IsNested(invocation) &&
                SaturatingRuns.MayHold(SequentialLayerBound.Of(invocation.Syntax), RuleOptions.MinSaturatingActivations.Read(file.Options, invocation.Syntax.SyntaxTree)) &&
                paths.Elements(invocation) is { } path)
            {
                Check(file.ReportDiagnostic, file.Options, path, SequentialPaths.NameLocation(invocation.Syntax));
            }
        });
        // A global alias may name Sigmoid or Tanh in a file that does not: then every module class is read. The files are
        // searched for one only when a class's own files name neither, not at every compilation's start.
        var compilation = context.Compilation;
        var aliased = new Lazy<bool>(() => TreeText.GlobalUsingsMention(compilation, "igmoid") || TreeText.GlobalUsingsMention(compilation, "anh"));
        // Forwards are read per file, after the driver has bound its bodies (FileBodies): the members' creations a path
        // reads are bound already.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            foreach (var forward in classes.Forwards(file))
            {
                if (MayHoldSaturating(forward.Owner!.ContainingType) || aliased.Value)
                    CheckForward(forward, file, paths, classes);
            }
        });
    }

    // Sigmoid and Tanh are sealed, so a path's saturating element is written with one of their names (a factory, a
    // functional call, a member's or a ModuleList's type) in the file of the forward or of a member it applies: one
    // of the files of the class or its base classes. A class none of whose files names them has no run to report, and
    // its forward is not read for this rule (most model classes of real code).
    private static readonly SourceMentions SaturatingNames = SourceMentions.AnyOf("igmoid", "anh");

    private static bool MayHoldSaturating(INamedTypeSymbol? type)
    {
        for (; type is not null && type.Locations.Any(l => l.IsInSource); type = type.BaseType)
        {
            foreach (var part in type.DeclaringSyntaxReferences)
            {
                if (SaturatingNames.In(part.SyntaxTree))
                    return true;
            }
        }
        return false;
    }

    private static void CheckForward(FileBody forward, SemanticModelAnalysisContext file, SequentialPaths paths, ModuleClassPaths classes)
    {
        var body = forward.Operation;
        // A forward that cannot apply enough activations is not read: the full reading binds its members' creations.
        int min = RuleOptions.MinSaturatingActivations.Read(file.Options, body.Syntax.SyntaxTree);
        if (!classes.MayHoldSaturatingRun(body, min) || classes.Elements(body) is not { } path)
            return;
        // The class's own run first: the Sequentials it applies are read (their members' creations bound) only for a
        // path that would be reported. A Sequential the class applies that is reported on its own construction is
        // not reported again here.
        if (SaturatingRuns.Longest(path).Count >= min &&
            !classes.AppliedSequentials(body).Any(s => paths.Elements(s) is { } own && SaturatingRuns.Longest(own).Count >= min))
        {
            Check(file.ReportDiagnostic, file.Options, path, forward.Owner!.Locations[0]);
        }
    }

    private static void Check(System.Action<Diagnostic> report, AnalyzerOptions options, System.Collections.Generic.List<LayerElement> path, Location location)
    {
        var run = SaturatingRuns.Longest(path);
        if (run.Count < RuleOptions.MinSaturatingActivations.Read(options, location.SourceTree!))
            return;
        // The count is of applications (a shared activation module applied three times shrinks the gradient three times);
        // the locations, which the fix rewrites, are each place once.
        var places = run.Select(e => e.Syntax).Concat(run.Select(e => e.DeclaredType)).Where(n => n is not null).Distinct().OrderBy(n => n!.SpanStart).Select(n => n!.GetLocation());
        report(Diagnostic.Create(Rule, location, places, run.Count));
    }

}
