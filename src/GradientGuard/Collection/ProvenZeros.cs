namespace GradientGuard.Collection;

/// <summary>
/// Which watched tensors — each parameter's gradient, and its weights — the last check that measured them proved
/// exactly zero (max-abs 0). A trainable layer left out of the loss (an unused branch, a head this phase does not train)
/// keeps a gradient of exact zeros at every step, and a direct norm of 0 cannot tell that from values whose squares
/// underflow; so a tensor proven zero has its max-abs read along with its direct norm, in the check's one
/// synchronization, which tells the two apart exactly at every check (see <see cref="ExactNorms"/>). The memory only
/// decides whether that max-abs is read: an entry that is out of date costs one reduction on the device, never a wrong
/// number. Rebuilt with the monitor's view when the parameter set changes.
/// </summary>
internal sealed class ProvenZeros
{
    private readonly bool[] gradients;
    private readonly bool[] weights;

    public ProvenZeros(int parameterCount)
    {
        gradients = new bool[parameterCount];
        weights = new bool[parameterCount];
    }

    /// <summary>Whether the gradient of parameter <paramref name="parameter"/> (flat index) was last proven exactly zero.</summary>
    public ref bool Gradient(int parameter) => ref gradients[parameter];

    /// <summary>Whether the weights of parameter <paramref name="parameter"/> (flat index) were last proven exactly zero.</summary>
    public ref bool Weight(int parameter) => ref weights[parameter];
}
