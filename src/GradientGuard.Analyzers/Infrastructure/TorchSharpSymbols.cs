using System.Linq;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The TorchSharp types the rules recognize, resolved once per compilation by metadata name and checked to come
/// from the TorchSharp assembly (user code may declare look-alikes, even inside namespace TorchSharp.Modules).
/// </summary>
internal sealed class TorchSharpSymbols
{
    private const string AssemblyName = "TorchSharp";
    private static readonly string[] RectifierNames = { "ReLU", "ReLU6", "LeakyReLU", "RReLU", "PReLU", "GELU", "SiLU", "ELU", "SELU", "CELU", "Mish", "Hardswish" };

    private TorchSharpSymbols(Compilation compilation, INamedTypeSymbol optimizer, INamedTypeSymbol tensor, INamedTypeSymbol module)
    {
        Optimizer = optimizer;
        Tensor = tensor;
        Module = module;
        Autograd = Resolve(compilation, "TorchSharp.torch+autograd");
        NnUtils = Resolve(compilation, "TorchSharp.torch+nn+utils");
        Parameter = Resolve(compilation, "TorchSharp.Modules.Parameter");
        Nn = Resolve(compilation, "TorchSharp.torch+nn");
        Functional = Resolve(compilation, "TorchSharp.torch+nn+functional");
        Torch = Resolve(compilation, "TorchSharp.torch");
        Sequential = Resolve(compilation, "TorchSharp.Modules.Sequential");
        WeightLayers = new[]
        {
            Resolve(compilation, "TorchSharp.Modules.Linear"), Resolve(compilation, "TorchSharp.Modules.Convolution"),
            Resolve(compilation, "TorchSharp.Modules.Bilinear"),
        };
        Init = Resolve(compilation, "TorchSharp.torch+nn+init");
        Rectifiers = RectifierNames
            .Select(n => Resolve(compilation, "TorchSharp.Modules." + n))
            .ToArray();
        Saturating = new[] { Resolve(compilation, "TorchSharp.Modules.Sigmoid"), Resolve(compilation, "TorchSharp.Modules.Tanh") };
        Normalization = new[]
        {
            Resolve(compilation, "TorchSharp.Modules.NormBase"), Resolve(compilation, "TorchSharp.Modules.LayerNorm"),
            Resolve(compilation, "TorchSharp.Modules.GroupNorm"), Resolve(compilation, "TorchSharp.Modules.LocalResponseNorm"),
        };
        Rnn = Resolve(compilation, "TorchSharp.Modules.RNN");
        Recurrent = new[]
        {
            Resolve(compilation, "TorchSharp.Modules.RNN"), Resolve(compilation, "TorchSharp.Modules.LSTM"),
            Resolve(compilation, "TorchSharp.Modules.GRU"), Resolve(compilation, "TorchSharp.Modules.RNNCell"),
            Resolve(compilation, "TorchSharp.Modules.LSTMCell"), Resolve(compilation, "TorchSharp.Modules.GRUCell"),
            Resolve(compilation, "TorchSharp.Modules.Transformer"), Resolve(compilation, "TorchSharp.Modules.TransformerEncoder"),
            Resolve(compilation, "TorchSharp.Modules.TransformerDecoder"), Resolve(compilation, "TorchSharp.Modules.TransformerEncoderLayer"),
            Resolve(compilation, "TorchSharp.Modules.TransformerDecoderLayer"), Resolve(compilation, "TorchSharp.Modules.MultiheadAttention"),
        };
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
    public INamedTypeSymbol?[] WeightLayers { get; }

    /// <summary><c>torch.nn.init</c>.</summary>
    public INamedTypeSymbol? Init { get; }

    /// <summary>ReLU-family activations, which pass the gradient on unchanged where active.</summary>
    public INamedTypeSymbol?[] Rectifiers { get; }

    /// <summary>Saturating activations: Sigmoid and Tanh.</summary>
    public INamedTypeSymbol?[] Saturating { get; }

    /// <summary>Normalization layers: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, LocalResponseNorm.</summary>
    public INamedTypeSymbol?[] Normalization { get; }

    /// <summary><c>TorchSharp.Modules.RNN</c>, the plain (Elman) recurrent layer.</summary>
    public INamedTypeSymbol? Rnn { get; }

    /// <summary>Recurrent and attention modules, whose gradients explode most readily.</summary>
    public INamedTypeSymbol?[] Recurrent { get; }

    /// <summary>Resolves the symbols, or returns null when the compilation does not reference TorchSharp (then no rule registers anything).</summary>
    public static TorchSharpSymbols? TryCreate(Compilation compilation)
    {
        var optimizer = Resolve(compilation, "TorchSharp.torch+optim+Optimizer");
        var tensor = Resolve(compilation, "TorchSharp.torch+Tensor");
        var module = Resolve(compilation, "TorchSharp.torch+nn+Module");
        return optimizer is null || tensor is null || module is null ? null : new TorchSharpSymbols(compilation, optimizer, tensor, module);
    }

    /// <summary>Whether <paramref name="type"/> is or derives from <paramref name="baseType"/>.</summary>
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
    public static bool DerivesFromAny(ITypeSymbol? type, INamedTypeSymbol?[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (DerivesFrom(type, candidate))
                return true;
        }
        return false;
    }

    private static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName)
    {
        var type = compilation.GetTypeByMetadataName(metadataName);
        return type?.ContainingAssembly?.Name == AssemblyName ? type : null;
    }
}
