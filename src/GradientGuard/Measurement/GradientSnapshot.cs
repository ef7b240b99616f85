using System.Collections.Generic;
using System.Linq;

namespace GradientGuard.Measurement;

/// <summary>The host-side numbers of one check, read in one device synchronization (two when a tensor must be measured again).</summary>
/// <param name="Layers">Each watched layer that has a gradient this check, input side first.</param>
/// <param name="GlobalNorm">The L2 norm of all watched gradients together.</param>
/// <param name="Loss">The loss, when one was passed.</param>
/// <param name="Activations">The activation probe's readings that are recent enough to describe this step (see <see cref="ActivationReading.Fresh"/>).</param>
/// <param name="ProbeSawNoForwardPass">
/// The activation probe is attached but none of its hooks fired within its last few checks: the model runs its
/// activations with <c>forward()</c>, which bypasses TorchSharp's forward hooks.
/// </param>
internal sealed record GradientSnapshot(
    IReadOnlyList<LayerGradient> Layers,
    double GlobalNorm,
    double? Loss,
    IReadOnlyList<ActivationReading> Activations,
    bool ProbeSawNoForwardPass)
{
    /// <summary>How many times the check copied numbers from the device to the host (see <see cref="HostReader"/>).</summary>
    public int HostSynchronizations { get; init; }

    /// <summary>The dead-unit windows that closed at this check (see <see cref="UnitActivity"/>).</summary>
    public IReadOnlyList<DeadUnitReading> DeadUnits { get; init; } = System.Array.Empty<DeadUnitReading>();

    /// <summary>The weight updates measured since the last check (see <see cref="WeightUpdates"/>); empty when none was sampled.</summary>
    public IReadOnlyList<UpdateReading> Updates { get; init; } = System.Array.Empty<UpdateReading>();

    /// <summary>Whether any gradient value is NaN or Infinity (a finite gradient whose norm is huge is not).</summary>
    public bool HasNonFiniteGradient => Layers.Any(l => !l.IsFinite);

    /// <summary>Whether the loss is NaN or Infinity.</summary>
    public bool HasNonFiniteLoss => Loss is double loss && !double.IsFinite(loss);

    /// <summary>Whether any gradient value or the loss is NaN/Infinity.</summary>
    public bool HasNonFinite => HasNonFiniteGradient || HasNonFiniteLoss;
}

/// <summary>What the activation probe saw in one activation module's last forward pass.</summary>
/// <param name="Name">The activation module's name.</param>
/// <param name="Kind">Sigmoid, Tanh or ReLU-family.</param>
/// <param name="SaturatedFraction">Share of outputs in the flat tails.</param>
/// <param name="MeanDerivative">The mean local derivative, i.e. how much of the gradient the activation passes on.</param>
internal sealed record ActivationReading(string Name, GradientGuard.Probing.ActivationKind Kind, double SaturatedFraction, double MeanDerivative)
{
    /// <summary>Whether it was read at this check (a new sample) rather than kept from an earlier one: windows count only new samples.</summary>
    public bool Fresh { get; init; } = true;

    /// <summary>The probe's count of checks when it was read.</summary>
    public long ReadAtCheck { get; init; }
}
