namespace GradientGuard.Tool;

/// <summary>The tool's exit codes (README, "The gradientguard tool").</summary>
internal static class ExitCodes
{
    /// <summary>Every line of every log was read.</summary>
    public const int Success = 0;

    /// <summary>Some lines were not log lines: each was named on stderr and skipped; the output holds every valid line.</summary>
    public const int SkippedLines = 1;

    /// <summary>A usage error, or a log that does not exist or cannot be read: nothing was written.</summary>
    public const int Usage = 2;
}
