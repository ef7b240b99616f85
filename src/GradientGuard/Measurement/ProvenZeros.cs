namespace GradientGuard.Measurement;

/// <summary>
/// Which watched tensors — each parameter's gradient, and its weights — have been proven exactly zero (max-abs 0)
/// recently enough to keep reading their max-abs. A trainable layer left out of the loss (an unused branch, a head this
/// phase does not train) keeps a gradient of exact zeros, and a direct norm of 0 cannot tell that from values whose
/// squares underflow; so a tensor in this memory has its max-abs read along with its direct norm, in the check's one
/// synchronization, which tells the two apart exactly at every check (see <see cref="ExactNorms"/>). The memory is
/// sticky: a tensor stays in it until <see cref="ForgetAfter"/> consecutive checks found it non-zero, so a gradient
/// that alternates between zero and non-zero (a multi-task head trained on alternate batches, an auxiliary loss every
/// few steps) costs one reduction on the device per check, not a second synchronization at each of its zero checks.
/// The memory only decides whether that max-abs is read: an entry that is out of date costs one reduction on the
/// device, never a wrong number. Rebuilt with the monitor's view when the parameter set changes.
/// </summary>
internal sealed class ProvenZeros
{
    /// <summary>After this many consecutive checks that found a remembered tensor non-zero, it is forgotten.</summary>
    public const int ForgetAfter = 8;

    // Per tensor: 0 when not remembered; otherwise 1 + the number of consecutive non-zero checks since it was last zero.
    private readonly byte[] gradients;
    private readonly byte[] weights;

    public ProvenZeros(int parameterCount)
    {
        gradients = new byte[parameterCount];
        weights = new byte[parameterCount];
    }

    /// <summary>Whether the max-abs of parameter <paramref name="parameter"/>'s gradient (flat index) is read.</summary>
    public bool Gradient(int parameter) => gradients[parameter] != 0;

    /// <summary>Whether the max-abs of parameter <paramref name="parameter"/>'s weights (flat index) is read.</summary>
    public bool Weight(int parameter) => weights[parameter] != 0;

    /// <summary>Records what a check found for parameter <paramref name="parameter"/>'s gradient.</summary>
    public void RecordGradient(int parameter, bool exactlyZero) => Record(ref gradients[parameter], exactlyZero);

    /// <summary>Records what a check found for parameter <paramref name="parameter"/>'s weights.</summary>
    public void RecordWeight(int parameter, bool exactlyZero) => Record(ref weights[parameter], exactlyZero);

    private static void Record(ref byte entry, bool exactlyZero)
    {
        if (exactlyZero)
            entry = 1;
        else if (entry != 0)
            entry = entry >= ForgetAfter ? (byte)0 : (byte)(entry + 1);
    }
}
