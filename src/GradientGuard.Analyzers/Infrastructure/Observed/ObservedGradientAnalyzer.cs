using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>
/// Base of the observed rules (GG1001-GG1003): what the runtime monitor saw in training, read from the findings file
/// (an additional file, docs/findings.md), reported on the code it is about. Without a findings file, or without a
/// finding of this rule's kind about a type of this compilation or (clipping) with a recorded call in one of its files,
/// nothing is registered. With one, the file is read once per text (not per keystroke), the model types are looked up
/// by name once per compilation, and only the files that declare a model class or hold a recorded training-loop call are
/// analyzed, each by its own semantic model (a clipping finding whose class and call are in two files also binds the
/// call's method when the class's file is analyzed).
/// </summary>
public abstract class ObservedGradientAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: the static rule whose fix the observed diagnostic offers (GG0001, GG0002, GG0003).</summary>
    public const string FixRuleProperty = "FixRule";

    private protected ObservedGradientAnalyzer()
    {
    }

    /// <summary>The runtime's GradientIssueKind this rule reports, by name.</summary>
    internal abstract string Kind { get; }

    internal abstract DiagnosticDescriptor Rule { get; }

    internal abstract CountOption MaxAgeDays { get; }

    /// <inheritdoc />
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    // A finding is placed on whatever declaration the recorded layer names, which may be a class marked [GeneratedCode]:
    // the driver keeps testing each of these rare diagnostics for generated code.
    private protected sealed override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.None;

    internal sealed override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        if (FindingsFileReader.Find(context.Options) is not { } file)
            return;
        var compilation = context.Compilation;
        var findings = FindingsFileReader.Read(file, context.CancellationToken).Findings.Where(f => f.Kind == Kind).ToList();
        if (findings.Count == 0)
            return;

        // A clipping finding whose recorded call is in this compilation goes on that step, whatever assembly defines the
        // model (a bare Sequential is TorchSharp's); with no step there, on its model class when that is ours. Every
        // other finding goes on its model class, when that is a class of this compilation (same assembly name).
        var onSteps = new List<(ObservedFinding Finding, INamedTypeSymbol? Type)>();
        var onModels = new List<(ObservedFinding Finding, INamedTypeSymbol Type)>();
        // The files of the compilation by their last two path segments, once, and only when a finding names a call.
        HashSet<string>? files = null;
        foreach (var finding in findings)
        {
            var type = finding.AssemblyName == compilation.AssemblyName && compilation.GetTypeByMetadataName(finding.TypeName) is { } named &&
                named.Locations.Any(l => l.IsInSource) ? named : null;
            if (finding.Rule == RuleIds.StepWithoutGradientClipping && finding.CallFile is { } callFile &&
                (files ??= new HashSet<string>(compilation.SyntaxTrees.Select(t => StepPlacement.Tail(t.FilePath)), StringComparer.Ordinal)).Contains(StepPlacement.Tail(callFile)))
                onSteps.Add((finding, type));
            else if (type is not null)
                onModels.Add((finding, type));
        }
        if (onSteps.Count == 0 && onModels.Count == 0)
            return;

        var events = TrainingStepEvents.For(torch);
        LastFileCaches.RegisterFileAction(context, semantic =>
        {
            var tree = semantic.SemanticModel.SyntaxTree;
            var now = DateTimeOffset.UtcNow;
            int maxAge = MaxAgeDays.Read(semantic.Options, tree);
            bool Fresh(ObservedFinding f) => f.Time is not { } time || now - time <= TimeSpan.FromDays(maxAge);
            void OnModel(ObservedFinding finding, INamedTypeSymbol type)
            {
                if (new ModelPlacement(torch, semantic.SemanticModel, semantic.Options, semantic.CancellationToken).Place(finding, type) is { } placement)
                    semantic.ReportDiagnostic(Create(finding, placement.Location, placement.Additional, placement.Properties));
            }

            foreach (var (finding, type) in onModels)
            {
                if (type.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == tree) && Fresh(finding))
                    OnModel(finding, type);
            }
            foreach (var (finding, type) in onSteps)
            {
                bool callHere = StepPlacement.IsFile(tree, finding.CallFile!);
                bool modelHere = type is not null && type.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == tree);
                if (!(callHere || modelHere) || !Fresh(finding))
                    continue;
                var callModel = callHere ? semantic.SemanticModel : CallFileModel(semantic.SemanticModel.Compilation, finding.CallFile!);
                var result = callModel is null ? StepPlacementResult.NoStep : StepPlacement.Place(finding, callModel, events, semantic.CancellationToken);
                if (callHere && result.Step is { } step)
                {
                    var properties = result.Parameters is not { } parameters ? ImmutableDictionary<string, string?>.Empty
                        : ImmutableDictionary<string, string?>.Empty.Add(Rules.GG0003StepWithoutGradientClippingAnalyzer.ParametersProperty, parameters);
                    semantic.ReportDiagnostic(Create(finding, step.Syntax.GetLocation(), Array.Empty<Location>(), properties));
                }
                if (modelHere && result.Outcome == StepOutcome.NoStep)
                    OnModel(finding, type!); // "a finding it cannot place on a declaration goes on the model class"
            }
        });
    }

    // The recorded call's file, seen from the file that declares the model class: whether its step exists decides whether
    // the class gets the finding. Bound only for a clipping finding whose class and call are in different files, and only
    // the method at the recorded line (and, for a stored optimizer, its type's methods in that file).
    private static SemanticModel? CallFileModel(Compilation compilation, string callFile) =>
        compilation.SyntaxTrees.FirstOrDefault(t => StepPlacement.IsFile(t, callFile)) is { } callTree
#pragma warning disable RS1030 // another file than the one analyzed is needed; a semantic model action only gives its own
            ? compilation.GetSemanticModel(callTree)
#pragma warning restore RS1030
            : null;

    private Diagnostic Create(ObservedFinding finding, Location location, IReadOnlyList<Location> additional, ImmutableDictionary<string, string?> properties) =>
        // An early sign stays one in the editor: Info, not a warning that fails a WarningsAsErrors build.
        Diagnostic.Create(Rule, location, finding.IsEarlySign ? DiagnosticSeverity.Info : Rule.DefaultSeverity, additional, properties.Add(FixRuleProperty, finding.Rule),
            finding.QuotedLayers(), finding.Step, finding.Measure, ObservedFinding.Number(finding.Value), ObservedFinding.Number(finding.Threshold),
            finding.Time is { } time ? time.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "an unrecorded date",
            finding.Cause, finding.Advice);

    /// <summary>The message every observed rule shares, after the kind's headline.</summary>
    private protected const string MessageTail = " in {0} at step {1} ({2} {3}, threshold {4}; trained on {5}). Cause: {6}. Fix: {7}.";
}
