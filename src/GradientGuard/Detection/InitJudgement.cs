namespace GradientGuard.Detection;

/// <summary>How a Linear/Conv layer's weight spread compares with the spreads that suit it (see <see cref="PoorInitializationDetector.Judge"/>).</summary>
internal enum InitJudgement
{
    Suited,
    TooSmall,
    TooLarge,
}
