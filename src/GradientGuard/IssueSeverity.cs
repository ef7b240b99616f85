namespace GradientGuard;

/// <summary>How sure and how urgent a <see cref="GradientDiagnostic"/> is.</summary>
public enum IssueSeverity
{
    /// <summary>An early sign: training still works, but a part of the model learns far slower than it could.</summary>
    Info,

    /// <summary>Clear trouble: left alone, the run fails or the affected layers stop learning.</summary>
    Warning,
}
