namespace GradientGuard.Output;

/// <summary>
/// Where in the user's code a check was asked for: the file and line of the <c>Check</c> call, or of the <c>WithMonitor</c>
/// call whose optimizer ran it. The findings file records it so the analyzers can place a finding on the training step.
/// </summary>
internal readonly record struct LoopCallSite(string File, int Line)
{
    /// <summary>Whether the compiler filled it in (a caller that passed empty strings, or reflection, leaves none).</summary>
    public bool IsKnown => !string.IsNullOrEmpty(File) && Line > 0;
}
