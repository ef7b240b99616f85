using System;
using System.Collections.Generic;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Why a clip call is in the wrong place.</summary>
internal enum Misplacement
{
    /// <summary><c>backward(); step(); clip();</c>: the update is done; the clip belongs before that step.</summary>
    AfterStep,

    /// <summary><c>clip(); backward(); step();</c>: it clips the previous iteration's (or zeroed) gradients.</summary>
    BeforeBackward,
}

/// <summary>
/// Where a clip stands among one body's backward, clip and step calls in source order (zero_grad left out). GG0004
/// reports a misplaced clip on the step it belongs before, and GG0003 stays quiet on that step, so one misplaced clip
/// is one report, and one fix (moving it) leaves nothing to clip twice.
/// </summary>
internal static class ClipPlacement
{
    /// <summary>
    /// For the clip at <paramref name="index"/>: why it is misplaced, and the index of the step it belongs before (-1
    /// when no step follows), or null when it is where it belongs.
    /// </summary>
    public static (Misplacement Why, int Step)? Misplaced<T>(IReadOnlyList<T> calls, int index, Func<T, TrainingEventKind> kind)
    {
        int previous = -1, next = -1;
        for (int i = index - 1; i >= 0 && previous < 0; i--)
        {
            if (kind(calls[i]) != TrainingEventKind.Clip)
                previous = i;
        }
        for (int i = index + 1; i < calls.Count && next < 0; i++)
        {
            if (kind(calls[i]) != TrainingEventKind.Clip)
                next = i;
        }
        if (previous >= 0 && kind(calls[previous]) == TrainingEventKind.Step)
            return (Misplacement.AfterStep, previous);
        if (next >= 0 && kind(calls[next]) == TrainingEventKind.Backward)
        {
            for (int i = next + 1; i < calls.Count; i++)
            {
                if (kind(calls[i]) == TrainingEventKind.Step)
                    return (Misplacement.BeforeBackward, i);
            }
            return (Misplacement.BeforeBackward, -1);
        }
        return null;
    }
}
