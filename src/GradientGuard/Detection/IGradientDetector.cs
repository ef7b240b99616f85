namespace GradientGuard.Detection;

/// <summary>One kind of gradient trouble; keeps whatever history it needs between checks.</summary>
internal interface IGradientDetector
{
    /// <summary>Returns the diagnostic this check raises, or null.</summary>
    GradientDiagnostic? Inspect(CheckContext context);
}
