namespace GradientGuard.Detection;

/// <summary>One kind of gradient trouble; keeps whatever history it needs between checks.</summary>
internal interface IGradientDetector
{
    /// <summary>Returns the diagnostic this check raises, or null.</summary>
    GradientDiagnostic? Inspect(CheckContext context);

    /// <summary>
    /// The monitor rebuilt its view because the model's parameter set changed: forget what was learnt about the layers
    /// in <see cref="ViewRebuild.ChangedLayers"/> (their windows and baselines describe tensors that are gone), keep the
    /// rest, so a late-added head does not wipe the history of the layers it left alone.
    /// </summary>
    void OnViewRebuilt(ViewRebuild rebuild)
    {
    }
}
