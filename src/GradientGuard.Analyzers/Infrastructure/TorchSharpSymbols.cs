using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The TorchSharp types the rules recognize, resolved by metadata name inside the TorchSharp assembly only (user code
/// may declare look-alikes, even inside namespace TorchSharp.Modules), once per TorchSharp assembly symbol (an editor's
/// compilations share it from keystroke to keystroke). One instance per compilation is shared by every rule, with the
/// per-compilation caches the rules share (<see cref="Shared{T}"/>): a layer path read for one rule is not read again for
/// the next.
/// </summary>
internal sealed class TorchSharpSymbols
{
    private const string AssemblyName = "TorchSharp";
    private static readonly ConditionalWeakTable<Compilation, Holder> PerCompilation = new();
    // Every other instance field is resolved once per TorchSharp assembly and shared by every compilation's copy
    // (ForCompilation): keep them immutable. A cache of what a compilation's code says belongs in Shared<T>, replaced in
    // each copy.
    private ConcurrentDictionary<Type, Lazy<object>> shared = new();
    private static readonly string[] RectifierNames = { "ReLU", "ReLU6", "LeakyReLU", "RReLU", "PReLU", "GELU", "SiLU", "ELU", "SELU", "CELU", "Mish", "Hardswish" };

    private TorchSharpSymbols(IAssemblySymbol assembly, INamedTypeSymbol optimizer, INamedTypeSymbol tensor, INamedTypeSymbol module)
    {
        Optimizer = optimizer;
        Tensor = tensor;
        Module = module;
        Autograd = Resolve(assembly, "TorchSharp.torch+autograd");
        NnUtils = Resolve(assembly, "TorchSharp.torch+nn+utils");
        Parameter = Resolve(assembly, "TorchSharp.Modules.Parameter");
        Nn = Resolve(assembly, "TorchSharp.torch+nn");
        Functional = Resolve(assembly, "TorchSharp.torch+nn+functional");
        Torch = Resolve(assembly, "TorchSharp.torch");
        Sequential = Resolve(assembly, "TorchSharp.Modules.Sequential");
        WeightLayers = ImmutableArray.Create(new[]
        {
            Resolve(assembly, "TorchSharp.Modules.Linear"), Resolve(assembly, "TorchSharp.Modules.Convolution"),
            Resolve(assembly, "TorchSharp.Modules.Bilinear"),
        });
        Init = Resolve(assembly, "TorchSharp.torch+nn+init");
        Rectifiers = RectifierNames
            .Select(n => Resolve(assembly, "TorchSharp.Modules." + n))
            .ToImmutableArray();
        Saturating = ImmutableArray.Create(Resolve(assembly, "TorchSharp.Modules.Sigmoid"), Resolve(assembly, "TorchSharp.Modules.Tanh"));
        Normalization = ImmutableArray.Create(new[]
        {
            Resolve(assembly, "TorchSharp.Modules.NormBase"), Resolve(assembly, "TorchSharp.Modules.LayerNorm"),
            Resolve(assembly, "TorchSharp.Modules.GroupNorm"), Resolve(assembly, "TorchSharp.Modules.LocalResponseNorm"),
        });
        Rnn = Resolve(assembly, "TorchSharp.Modules.RNN");
        Recurrent = ImmutableArray.Create(new[]
        {
            Resolve(assembly, "TorchSharp.Modules.RNN"), Resolve(assembly, "TorchSharp.Modules.LSTM"),
            Resolve(assembly, "TorchSharp.Modules.GRU"), Resolve(assembly, "TorchSharp.Modules.RNNCell"),
            Resolve(assembly, "TorchSharp.Modules.LSTMCell"), Resolve(assembly, "TorchSharp.Modules.GRUCell"),
            Resolve(assembly, "TorchSharp.Modules.Transformer"), Resolve(assembly, "TorchSharp.Modules.TransformerEncoder"),
            Resolve(assembly, "TorchSharp.Modules.TransformerDecoder"), Resolve(assembly, "TorchSharp.Modules.TransformerEncoderLayer"),
            Resolve(assembly, "TorchSharp.Modules.TransformerDecoderLayer"), Resolve(assembly, "TorchSharp.Modules.MultiheadAttention"),
        });
        BceLoss = Resolve(assembly, "TorchSharp.Modules.BCELoss");
        CrossEntropyLoss = Resolve(assembly, "TorchSharp.Modules.CrossEntropyLoss");
        LayerKinds = KnownLayerKinds();
    }

    // The types that decide a module's kind, each with its kind (a type of two lists keeps the first).
    private Dictionary<ISymbol, LayerKind> KnownLayerKinds()
    {
        var kinds = new Dictionary<ISymbol, LayerKind>(SymbolEqualityComparer.Default);
        foreach (var (types, kind) in new[] { (WeightLayers, LayerKind.Weight), (Saturating, LayerKind.Saturating), (Rectifiers, LayerKind.Rectifier), (Normalization, LayerKind.Normalization) })
        {
            foreach (var known in types)
            {
                if (known is not null && !kinds.ContainsKey(known))
                    kinds[known] = kind;
            }
        }
        return kinds;
    }

    /// <summary><c>torch.optim.Optimizer</c>: the base of every optimizer (not of LR schedulers).</summary>
    public INamedTypeSymbol Optimizer { get; }

    /// <summary><c>torch.Tensor</c>.</summary>
    public INamedTypeSymbol Tensor { get; }

    /// <summary>The non-generic <c>torch.nn.Module</c>.</summary>
    public INamedTypeSymbol Module { get; }

    /// <summary><c>torch.autograd</c> (its static <c>backward</c>).</summary>
    public INamedTypeSymbol? Autograd { get; }

    /// <summary><c>torch.nn.utils</c> (<c>clip_grad_norm_</c>, <c>clip_grad_value_</c>).</summary>
    public INamedTypeSymbol? NnUtils { get; }

    /// <summary><c>TorchSharp.Modules.Parameter</c>.</summary>
    public INamedTypeSymbol? Parameter { get; }

    /// <summary><c>torch.nn</c>: the module factories.</summary>
    public INamedTypeSymbol? Nn { get; }

    /// <summary><c>torch.nn.functional</c>.</summary>
    public INamedTypeSymbol? Functional { get; }

    /// <summary><c>torch</c> itself.</summary>
    public INamedTypeSymbol? Torch { get; }

    /// <summary><c>TorchSharp.Modules.Sequential</c>.</summary>
    public INamedTypeSymbol? Sequential { get; }

    /// <summary>Layers with a weight matrix: Linear, every convolution, Bilinear.</summary>
    public ImmutableArray<INamedTypeSymbol?> WeightLayers { get; }

    /// <summary><c>torch.nn.init</c>.</summary>
    public INamedTypeSymbol? Init { get; }

    /// <summary>ReLU-family activations, which pass the gradient on unchanged where active.</summary>
    public ImmutableArray<INamedTypeSymbol?> Rectifiers { get; }

    /// <summary>Saturating activations: Sigmoid and Tanh.</summary>
    public ImmutableArray<INamedTypeSymbol?> Saturating { get; }

    /// <summary>Normalization layers: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, LocalResponseNorm.</summary>
    public ImmutableArray<INamedTypeSymbol?> Normalization { get; }

    /// <summary><c>TorchSharp.Modules.RNN</c>, the plain (Elman) recurrent layer.</summary>
    public INamedTypeSymbol? Rnn { get; }

    /// <summary>Recurrent and attention modules, whose gradients explode most readily.</summary>
    public ImmutableArray<INamedTypeSymbol?> Recurrent { get; }

    /// <summary><c>TorchSharp.Modules.BCELoss</c>.</summary>
    public INamedTypeSymbol? BceLoss { get; }

    /// <summary><c>TorchSharp.Modules.CrossEntropyLoss</c>.</summary>
    public INamedTypeSymbol? CrossEntropyLoss { get; }

    /// <summary>The weight layers, saturating and rectifying activations and normalizations, each with its kind.</summary>
    public IReadOnlyDictionary<ISymbol, LayerKind> LayerKinds { get; }

    /// <summary>
    /// The symbols of this compilation, made on the first call (the types resolved once per TorchSharp assembly, with
    /// caches of this compilation's own) and shared by every rule after it; null when the compilation does not reference
    /// TorchSharp (then no rule registers anything).
    /// </summary>
    public static TorchSharpSymbols? For(Compilation compilation) =>
        PerCompilation.GetValue(compilation, c => new Holder(Create(c))).Symbols;

    /// <summary>
    /// The one instance of <typeparamref name="T"/> for this compilation, made by <paramref name="create"/> on first use:
    /// how rules share caches of what they read (layer paths, helper summaries).
    /// </summary>
    public T Shared<T>(Func<TorchSharpSymbols, T> create) where T : class =>
        (T)shared.GetOrAdd(typeof(T), _ => new Lazy<object>(() => create(this))).Value;

    private static TorchSharpSymbols? Create(Compilation compilation)
    {
        // Looking in the one assembly is cheaper than a compilation-wide lookup, which searches every reference.
        var assembly = compilation.Assembly.Name == AssemblyName
            ? compilation.Assembly
            : compilation.SourceModule.ReferencedAssemblySymbols.FirstOrDefault(a => a.Name == AssemblyName);
        if (assembly is null)
            return null;
        // An editor makes a new compilation at every keystroke, and each keeps the symbols of the referenced assemblies
        // of the one before (the references did not change): the types are resolved once per TorchSharp assembly symbol,
        // not once per compilation: that was a fifth of what the rules cost a keystroke (benchmarks/README.md, session 18).
        var types = Resolved.GetValue(assembly, a => new Holder(Resolve(a, "TorchSharp.torch+optim+Optimizer") is { } optimizer &&
            Resolve(a, "TorchSharp.torch+Tensor") is { } tensor && Resolve(a, "TorchSharp.torch+nn+Module") is { } module
                ? new TorchSharpSymbols(a, optimizer, tensor, module)
                : null)).Symbols;
        return types?.ForCompilation();
    }

    // Per TorchSharp assembly symbol: its types. Never handed out: each compilation gets a copy with caches of its own.
    private static readonly ConditionalWeakTable<IAssemblySymbol, Holder> Resolved = new();

    // A compilation's own instance: every type copied, whatever properties are added, and no cache of another's.
    private TorchSharpSymbols ForCompilation()
    {
        var own = (TorchSharpSymbols)MemberwiseClone();
        own.shared = new ConcurrentDictionary<Type, Lazy<object>>();
        return own;
    }

    /// <summary>
    /// Whether an assembly <paramref name="compilation"/> references, other than TorchSharp, references TorchSharp (a
    /// library of models or helpers): its members may hand this compilation TorchSharp types its own code never names.
    /// </summary>
    public static bool AnotherAssemblyUsesTorchSharp(Compilation compilation) =>
        compilation.SourceModule.ReferencedAssemblySymbols.Any(assembly =>
            assembly.Name != AssemblyName && assembly.Modules.Any(module => module.ReferencedAssemblies.Any(reference => reference.Name == AssemblyName)));

    /// <summary>Whether <paramref name="type"/> is or derives from <paramref name="baseType"/>.</summary>
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        for (var current = type; current is not null && baseType is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="type"/> is or derives from any of <paramref name="candidates"/>.</summary>
    public static bool DerivesFromAny(ITypeSymbol? type, ImmutableArray<INamedTypeSymbol?> candidates)
    {
        foreach (var candidate in candidates)
        {
            if (DerivesFrom(type, candidate))
                return true;
        }
        return false;
    }

    private static INamedTypeSymbol? Resolve(IAssemblySymbol assembly, string metadataName) => assembly.GetTypeByMetadataName(metadataName);

    // ConditionalWeakTable needs a reference type to hold a possibly null result.
    private sealed class Holder
    {
        public Holder(TorchSharpSymbols? symbols) => Symbols = symbols;

        public TorchSharpSymbols? Symbols { get; }
    }
}
