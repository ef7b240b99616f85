namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>What one element of a model's forward path is, as far as gradient flow goes.</summary>
internal enum LayerKind
{
    /// <summary>Linear, convolution, Bilinear: multiplies the gradient by a weight matrix.</summary>
    Weight,

    /// <summary>Sigmoid or Tanh: passes on at most 0.25x / 1x of the gradient.</summary>
    Saturating,

    /// <summary>ReLU-family: passes the gradient on unchanged where active; wants He (Kaiming) initialization.</summary>
    Rectifier,

    /// <summary>BatchNorm, LayerNorm and the like: rescales activations and so breaks a vanishing chain.</summary>
    Normalization,

    /// <summary>A TorchSharp module that neither multiplies nor squashes (Dropout, Flatten, pooling).</summary>
    Neutral,

    /// <summary>Anything the analysis cannot see into (a user module, a residual addition): breaks a chain.</summary>
    Opaque,
}
