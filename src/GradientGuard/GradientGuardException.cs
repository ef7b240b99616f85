using System;

namespace GradientGuard;

/// <summary>Thrown by <see cref="GradientMonitor.Check"/> for a diagnostic whose kind is in <see cref="GradientMonitorOptions.FailFastOn"/>.</summary>
public sealed class GradientGuardException : Exception
{
    /// <summary>Creates the exception for <paramref name="diagnostic"/>.</summary>
    public GradientGuardException(GradientDiagnostic diagnostic)
        : base(diagnostic?.ToString())
    {
        Diagnostic = diagnostic ?? throw new ArgumentNullException(nameof(diagnostic));
    }

    /// <summary>The diagnostic that stopped training.</summary>
    public GradientDiagnostic Diagnostic { get; }
}
