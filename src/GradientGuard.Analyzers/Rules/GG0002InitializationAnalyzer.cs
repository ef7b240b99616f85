using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GradientGuard.Analyzers.Infrastructure;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG0002: explicit init that does not suit the activation after the layer (Xavier before ReLU, Kaiming-for-ReLU before
/// Tanh/Sigmoid, a normal_/uniform_ spread far above 1/sqrt(fan_in)); and a deep plain path whose weight layers all keep
/// TorchSharp's default init (variance 1/(3 fan_in): the signal shrinks at every layer), unless the model is initialized
/// or loaded elsewhere.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG0002InitializationAnalyzer : GradientGuardAnalyzer
{
    /// <summary>Diagnostic property: the activation the fixed init must suit (ReLU, Tanh or Sigmoid).</summary>
    public const string ActivationProperty = "Activation";

    /// <summary>
    /// Diagnostic property of a default-init report on a module class: <c>layer=activation[+b];...</c>, what each held
    /// weight layer needs (activation none: an output layer) and whether it has a bias to zero.
    /// </summary>
    public const string InitPlanProperty = "InitPlan";

    /// <summary>Diagnostic property of a default-init report on a Sequential of Linear layers whose hidden activations are all one kind.</summary>
    public const string InitFamilyProperty = "InitFamily";


    internal static readonly DiagnosticDescriptor Mismatch = RuleDescriptors.Create(
        RuleIds.Initialization,
        title: "Initialization that does not suit the network",
        messageFormat: "'{0}' initializes '{1}' {2}",
        Categories.Initialization,
        RuleLevel.BuildWarning,
        description: "Each activation wants its own weight scale: He (kaiming_*) for ReLU-family, Xavier with the activation's gain for Tanh/Sigmoid.");

    internal static readonly DiagnosticDescriptor DeepDefault = RuleDescriptors.Create(
        RuleIds.Initialization,
        title: "Initialization that does not suit the network",
        messageFormat: "{0} weight layers in a row ({1}) keep TorchSharp's default init (variance 1/(3 fan_in)) with no normalization: the signal and the gradient shrink at every layer",
        Categories.Initialization,
        RuleLevel.BuildWarning, // reported as a suggestion unless gradientguard.GG0002.default_init_severity says otherwise
        description: "The default kaiming_uniform_(a: sqrt(5)) passes on about 1/6 of a ReLU layer's signal variance; deep plain stacks need He or Xavier init, or normalization.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Mismatch, DeepDefault);

    internal override void Register(CompilationStartAnalysisContext context, TorchSharpSymbols torch)
    {
        var paths = SequentialPaths.For(torch);
        var classes = ModuleClassPaths.For(torch);
        var compilation = context.Compilation;
        var initializedElsewhere = new Lazy<bool>(() => ElsewhereInitialization.Anywhere(compilation, context.CancellationToken));
        // Both checks judge a layer against a path in the same file: a Sequential, or a module class's forward.
        var initMentions = new InitMentions(compilation, context.CancellationToken);
        // A body may set weights by what it writes, or through an init helper (of any file) whose name it writes.
        bool MaySetWeights(SyntaxNode member) => WeightSetters.In(member) || initMentions.MayCallInitHelper(member);

        // A deep path at the default init: reported on the Sequential, or on forward() for a module class.
        paths.RegisterForConstructions(context, (file, invocation) =>
        {
            if (paths.IsNested(invocation) || !DefaultInitMayReport(file.Options, invocation.Syntax.SyntaxTree) ||
                paths.Elements(invocation) is not { } path)
            {
                return;
            }
            var root = invocation.Root();
            var mayInitialize = new Lazy<bool>(() => MaySetWeights(root.Syntax));
            new Check(file.ReportDiagnostic, file.Options, invocation.SemanticModel, compilation, file.CancellationToken).DefaultInitDepth(
                path,
                () => mayInitialize.Value ? InitCalls.Find(new[] { root }, torch) : new Dictionary<ISymbol, List<InitCall>>(SymbolEqualityComparer.Default),
                SequentialPaths.NameLocation(invocation.Syntax),
                () => mayInitialize.Value && ElsewhereInitialization.In(root));
        });

        // Bodies are read per file, after the driver has bound them (FileBodies): the class's other members a check
        // reads (its forward, the constructors that set weights) are bound already.
        LastFileCaches.RegisterFileAction(context, file =>
        {
            var model = file.SemanticModel;
            if (!ModelFiles.In(model.SyntaxTree))
                return;
            // The bodies that may set weights (a forward among them is checked for both), then the other forwards (read
            // once per file for the rules that read them).
            foreach (var body in FileBodies.Read(model, file.FilterSpan, MaySetWeights, file.CancellationToken))
                AnalyzeBody(file, body, forward: classes.IsForward(body), setsWeights: true);
            foreach (var forward in classes.Forwards(file))
            {
                if (!MaySetWeights(forward.Operation.Syntax))
                    AnalyzeBody(file, forward, forward: true, setsWeights: false);
            }
        });

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        void AnalyzeBody(SemanticModelAnalysisContext file, FileBody body, bool forward, bool setsWeights)
        {
            var model = file.SemanticModel;
            var blocks = ImmutableArray.Create(body.Operation);
            var owner = body.Owner;
            var check = new Check(file.ReportDiagnostic, file.Options, model, compilation, file.CancellationToken);
            if (forward && DefaultInitMayReport(file.Options, model.SyntaxTree) &&
                classes.MayBeDeepPlain(body.Operation, RuleOptions.MinDefaultInitLayers.Read(file.Options, model.SyntaxTree)) && classes.Elements(body.Operation) is { } forwardPath)
            {
                // The class's members are bound only for a path deep enough to report.
                var members = new Lazy<List<IOperation>>(() => MemberBodies(owner!.ContainingType, model, MaySetWeights).ToList());
                check.DefaultInitDepth(forwardPath, () => InitCalls.Find(members.Value, torch), owner!.Locations[0], () => members.Value.Any(ElsewhereInitialization.In));
            }

            // Mismatched init calls: reported where they stand, judged against the path their layer is used in.
            // Most methods set no weights: syntax tests spare them the operation walks (each walks only where it can
            // find something: a .weight or an init helper's call; an apply or a loop over parameters).
            if (!setsWeights)
                return;
            if (initMentions.MayInitLayers(body.Operation.Syntax))
            {
                foreach (var holder in InitCalls.Find(blocks, torch))
                {
                    if (holder.Value.Any(c => c.CanMismatch) && PathOf(holder.Key, blocks, model) is { } path)
                        check.Mismatches(path, holder.Key, holder.Value);
                }
            }
            if (InitMentions.MayInitModel(body.Operation.Syntax))
            {
                foreach (var init in ModelWideInits.Find(blocks, torch))
                {
                    if (init.Call.CanMismatch && PathOfModel(init.Model, owner?.ContainingType, blocks, model) is { } path)
                        check.ModelWide(path, init);
                }
            }
        }

        // Whether a deep path at the default init can be reported in this file at all: not when the model's weights are
        // set elsewhere (a syntax search, once per compilation), nor when GG0006 owns every depth this check reports
        // (the defaults: both at 8). Asked before a path is read, which binds its members' creations.
        bool DefaultInitMayReport(AnalyzerOptions options, SyntaxTree tree) =>
            (RuleOptions.MinDefaultInitLayers.Read(options, tree) < RuleOptions.MinPlainDepth.Read(options, tree) ||
             !RuleSwitch.IsOn(compilation, tree, RuleIds.DeepWithoutNormalization, context.CancellationToken)) &&
            !initializedElsewhere.Value;

        // The path of the model an apply() or parameters() loop is made on: a local built as a Sequential in the same
        // body, or the module class itself.
        List<LayerElement>? PathOfModel(ISymbol? holder, INamedTypeSymbol? type, ImmutableArray<IOperation> blocks, SemanticModel model)
        {
            if (holder is ILocalSymbol local)
            {
                return blocks.SelectMany(OperationIndex.Descendants).OfType<IVariableDeclaratorOperation>()
                    .Where(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local))
                    .Select(d => d.GetVariableInitializer()?.Value.WithoutConversions())
                    .OfType<IInvocationOperation>()
                    .Where(paths.IsConstruction)
                    .Select(paths.Elements)
                    .FirstOrDefault(p => p is not null);
            }
            return holder is null && type is not null ? ForwardPath(type, model) : null;
        }

        // The path a held layer is part of: a Sequential in the same body (a local), or the class's forward (a field).
        List<LayerElement>? PathOf(ISymbol holder, ImmutableArray<IOperation> blocks, SemanticModel model)
        {
            if (holder is ILocalSymbol)
            {
                return blocks.SelectMany(OperationIndex.Invocations)
                    .Where(i => paths.IsConstruction(i) && !paths.IsNested(i))
                    .Select(paths.Elements)
                    .FirstOrDefault(p => p is not null && p.Any(e => SymbolEqualityComparer.Default.Equals(e.Holder, holder)));
            }
            return holder.ContainingType is { } type ? ForwardPath(type, model) : null;
        }

        List<LayerElement>? ForwardPath(INamedTypeSymbol type, SemanticModel model)
        {
            var forward = type.GetMembers("forward").OfType<IMethodSymbol>()
                .SelectMany(m => m.DeclaringSyntaxReferences)
                .FirstOrDefault(r => r.SyntaxTree == model.SyntaxTree);
            return forward is not null && model.GetOperation(forward.GetSyntax()) is { } body ? classes.Elements(body) : null;
        }
    }

    // Every constructor and method of the class in the file: where its layers get initialized.
    // Only members whose tokens could set weights are bound: binding every member of every module class is the
    // costliest thing this rule could do (measured: benchmarks/results.md).
    private static IEnumerable<IOperation> MemberBodies(INamedTypeSymbol type, SemanticModel model, Func<SyntaxNode, bool> maySetWeights) =>
        type.GetMembers().OfType<IMethodSymbol>()
            .SelectMany(m => m.DeclaringSyntaxReferences)
            .Where(r => r.SyntaxTree == model.SyntaxTree)
            .Select(r => r.GetSyntax())
            .Where(maySetWeights)
            .Select(syntax => model.GetOperation(syntax))
            .Where(o => o is not null)!;

    private static readonly SourceMentions ModelFiles = SourceMentions.AnyOf("Sequential", "forward");

    // What a body must write for the reads behind MaySetWeights to find anything, each a whole identifier of its code
    // (a member's or method's name, as every reference and call writes it): InitCalls a layer's .weight (an init call on
    // it, normal_/uniform_ on it, an assignment to it; a helper's call is MayCallInitHelper's, which also lets through a
    // body that may call one by a name the code need not write, ImplicitCalls), ModelWideInits apply(fn) or a foreach
    // over parameters()/named_parameters(), ElsewhereInitialization those, a .weight assignment, or a call of
    // load/load_state_dict/load_checkpoint. Searched inside longer names (initial, payload, weights, weight_decay), and
    // with init, normal_ and uniform_ besides, the words let a third more bodies of real code through (171 against 127),
    // each bound and walked for nothing.
    private static readonly SourceMentions WeightSetters = SourceMentions.AnyName("weight", "apply", "parameters", "named_parameters", "load", "load_state_dict", "load_checkpoint");


    /// <summary>
    /// The properties this rule's "add init" fix reads for <paramref name="path"/> (<see cref="InitPlanProperty"/> or
    /// <see cref="InitFamilyProperty"/>): GG1001 offers the same fix when training saw the gradients vanish under the default init.
    /// </summary>
    internal static ImmutableDictionary<string, string?> InitFixProperties(List<LayerElement> path, SemanticModel model, AnalyzerOptions options, CancellationToken cancellation) =>
        new Check(_ => { }, options, model, model.Compilation, cancellation).InitProperties(path);

    /// <summary>The two checks over one path.</summary>
    private sealed class Check
    {
        private readonly Action<Diagnostic> report;
        private readonly AnalyzerOptions options;
        private readonly SemanticModel? model;
        private readonly Compilation compilation;
        private readonly CancellationToken cancellation;
        // An init reaching several layers (a foreach over layers, a helper, apply) is reported once, for the first it does not suit.
        private readonly HashSet<Location> reported = new();

        public Check(Action<Diagnostic> report, AnalyzerOptions options, SemanticModel? model, Compilation compilation, CancellationToken cancellation)
        {
            this.report = report;
            this.options = options;
            this.model = model;
            this.compilation = compilation;
            this.cancellation = cancellation;
        }

        /// <summary>Each init call of <paramref name="holder"/>'s weight, against the activation that follows the layer in <paramref name="path"/>.</summary>
        public void Mismatches(List<LayerElement> path, ISymbol holder, List<InitCall> calls)
        {
            int i = path.FindIndex(e => e.Kind == LayerKind.Weight && SymbolEqualityComparer.Default.Equals(e.Holder, holder));
            if (i < 0)
                return;
            foreach (var call in calls)
                ReportMismatch(call, path, i, holder.Name);
        }

        /// <summary>An init that reaches every weight layer (of a type): reported once, for the first layer it does not suit.</summary>
        public void ModelWide(List<LayerElement> path, ModelWideInit init)
        {
            for (int i = 0, k = 0; i < path.Count; i++)
            {
                if (path[i].Kind != LayerKind.Weight)
                    continue;
                k++;
                if (init.Reaches(LayerType(path[i])) && ReportMismatch(init.Call, path, i, path[i].Holder?.Name ?? $"#{k}"))
                    return;
            }
        }

        private ITypeSymbol? LayerType(LayerElement layer) =>
            model is not null && layer.Syntax.SyntaxTree == model.SyntaxTree && model.GetOperation(layer.Syntax) is { Type: { } type }
                ? type
                : layer.Holder.HeldType();

        /// <summary>
        /// At least N weight layers, none explicitly initialized, no normalization, and nothing in the model's bodies sets
        /// the weights another way (the rest of the compilation was searched before the path was read).
        /// </summary>
        /// <remarks>The init calls and the "other way" test are functions: they walk bodies, so they run only for a path deep enough to report.</remarks>
        public void DefaultInitDepth(List<LayerElement> path, Func<Dictionary<ISymbol, List<InitCall>>> inits, Location modelLocation, Func<bool> initializedInBodies)
        {
            var tree = modelLocation.SourceTree!;
            var weights = path.Where(e => e.Kind == LayerKind.Weight).ToList();
            if (path.Any(e => e.Kind is LayerKind.Normalization or LayerKind.Opaque) ||
                weights.Count < RuleOptions.MinDefaultInitLayers.Read(options, tree))
            {
                return;
            }
            // GG0006 owns plain stacks of its depth: its fix (normalization) also ends the scale drift of the default init.
            if (weights.Count >= RuleOptions.MinPlainDepth.Read(options, tree) && RuleSwitch.IsOn(compilation, tree, RuleIds.DeepWithoutNormalization, cancellation))
                return;
            var initialized = inits();
            if (weights.Any(w => w.Holder is { } h && initialized.ContainsKey(h)) || initializedInBodies())
                return;
            string names = string.Join(", ", weights.Select((w, k) => w.Holder?.Name ?? $"#{k + 1}"));
            var severity = RuleOptions.DefaultInitSeverity.Read(options, tree);
            report(Diagnostic.Create(DeepDefault, modelLocation, severity, additionalLocations: null, InitProperties(path), weights.Count, names));
        }

        // What the fix needs: per held layer its activation (module classes), or the one activation of a Sequential.
        public ImmutableDictionary<string, string?> InitProperties(List<LayerElement> path)
        {
            var plan = new List<(LayerElement Layer, string Activation)>();
            for (int i = 0; i < path.Count; i++)
            {
                if (path[i].Kind == LayerKind.Weight)
                    plan.Add((path[i], NextActivation(path, i) is { } next ? ActivationName(next) : "none"));
            }
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (plan.All(p => p.Layer.Holder is not null))
            {
                return properties.Add(InitPlanProperty, string.Join(";", plan.Select(p =>
                    p.Layer.Holder!.Name + "=" + p.Activation + (HasBias(p.Layer.Syntax) ? "+b" : ""))));
            }
            var hidden = plan.Take(plan.Count - 1).Select(p => p.Activation).Distinct().ToList();
            bool linearOnly = plan.All(p => model?.GetOperation(p.Layer.Syntax) is IInvocationOperation { TargetMethod.Name: "Linear" });
            return hidden.Count == 1 && hidden[0] != "none" && linearOnly ? properties.Add(InitFamilyProperty, hidden[0]) : properties;
        }

        private string ActivationName(LayerElement activation) =>
            activation.Kind == LayerKind.Rectifier ? "ReLU" : SaturatingName(activation);

        // nn.Linear(in, out, hasBias: false) and nn.ConvNd(..., bias: false) have no bias to zero.
        private bool HasBias(SyntaxNode creation) =>
            model?.GetOperation(creation) is not IInvocationOperation call ||
            !call.Arguments.Any(a => a.Parameter?.Name is "hasBias" or "bias" && a.Value.ConstantValue is { HasValue: true, Value: false });

        // The activation after weight layer i, if one comes before the next weight or normalization layer.
        private static LayerElement? NextActivation(List<LayerElement> path, int i)
        {
            for (int j = i + 1; j < path.Count; j++)
            {
                switch (path[j].Kind)
                {
                    case LayerKind.Rectifier:
                    case LayerKind.Saturating:
                        return path[j];
                    case LayerKind.Weight:
                    case LayerKind.Normalization:
                    case LayerKind.Opaque:
                        return null;
                }
            }
            return null;
        }

        private bool ReportMismatch(InitCall call, List<LayerElement> path, int layerIndex, string layer)
        {
            var tree = call.Location.SourceTree!;
            var following = NextActivation(path, layerIndex);
            double fanIn = FanIn(path[layerIndex].Syntax);
            var next = following?.Kind;
            string activation = following is { } known ? ActivationName(known) : "ReLU";
            string? problem = (call.Kind, next) switch
            {
                (InitKind.Xavier, LayerKind.Rectifier) =>
                    "for Tanh/Sigmoid, but a ReLU-family activation follows it: Xavier halves the signal variance at each ReLU layer; use kaiming_normal_ with nonlinearity ReLU",
                (InitKind.KaimingRectifier, LayerKind.Saturating) when !OwnedByGG0001(path, following!.Value, tree) =>
                    "for ReLU, but a Tanh/Sigmoid follows it: He init's doubled variance saturates the activation; use xavier_uniform_ with calculate_gain",
                (InitKind.ConstantSpread, _) when fanIn > 0 && call.Spread > RuleOptions.MaxSpreadFactor.Read(options, tree) / Math.Sqrt(fanIn) =>
                    FormattableString.Invariant($"with a spread of {call.Spread:G3}, {call.Spread * Math.Sqrt(fanIn):G3}x 1/sqrt(fan_in) = {1 / Math.Sqrt(fanIn):G3}: activations and gradients grow at every layer; scale to the fan-in with kaiming_normal_ or xavier_uniform_"),
                _ => null,
            };
            if (problem is null || !reported.Add(call.Location))
                return false;
            var properties = call.Fixable ? ImmutableDictionary<string, string?>.Empty.Add(ActivationProperty, activation) : ImmutableDictionary<string, string?>.Empty;
            report(Diagnostic.Create(Mismatch, call.Location, properties, call.Name, layer, problem));
            return true;
        }

        // He init before a Sigmoid/Tanh that GG0001 reports as part of a saturating stack: GG0001's fix (ReLU) makes the
        // init right, while this rule's (Xavier) would be wrong after it. GG0001 owns the case while it is on.
        private bool OwnedByGG0001(List<LayerElement> path, LayerElement activation, SyntaxTree tree)
        {
            var run = SaturatingRuns.Longest(path);
            return run.Count >= RuleOptions.MinSaturatingActivations.Read(options, tree) &&
                   run.Any(e => e.Syntax == activation.Syntax) &&
                   RuleSwitch.IsOn(compilation, tree, RuleIds.SaturatingActivationStack, cancellation);
        }

        // Sigmoid or Tanh, for calculate_gain: nn.Sigmoid(), torch.sigmoid(x), x.sigmoid() are Sigmoid.
        private string SaturatingName(LayerElement activation) =>
            model?.GetOperation(activation.Syntax) is IInvocationOperation call && (call.TargetMethod.Name == "sigmoid" || call.Type?.Name == "Sigmoid")
                ? "Sigmoid"
                : "Tanh";

        // Inputs per output unit of nn.Linear(in, out) and nn.ConvNd(in, out, k), when they are constants.
        private double FanIn(SyntaxNode creation)
        {
            if (model?.GetOperation(creation) is not IInvocationOperation call)
                return double.NaN;
            double Arg(int ordinal) => call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value.WithoutConversions()?.ConstantValue is { HasValue: true, Value: var v } && v is long or int
                ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)
                : double.NaN;
            return call.TargetMethod.Name switch
            {
                "Linear" => Arg(0),
                "Conv1d" => Arg(0) * Arg(2),
                "Conv2d" => Arg(0) * Math.Pow(Arg(2), 2),
                "Conv3d" => Arg(0) * Math.Pow(Arg(2), 3),
                _ => double.NaN,
            };
        }
    }
}
