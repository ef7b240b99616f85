using System;
using System.IO;
using System.Threading;

namespace GradientGuard.Output;

/// <summary>
/// Retries a short file operation that failed with an IOException that may pass: a sharing violation (a reader, a
/// virus scanner or another writer has the file open; on Windows a rename over an open file fails), a folder being
/// recreated. Without it one such moment fails the sink, and the monitor stops writing it for the rest of the run.
/// A few attempts, tens of milliseconds in all: training never waits long; what still fails is the sink's failure.
/// </summary>
internal static class TransientIO
{
    public const int MaxAttempts = 4;

    public static void Retry(Action operation)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                operation();
                return;
            }
            catch (IOException e) when (attempt < MaxAttempts && MayPass(e))
            {
                Thread.Sleep(10 * attempt);
            }
        }
    }

    // A path too long or a missing drive stays so; everything else an IOException says (sharing and lock violations, a
    // file or folder that came or went under a concurrent writer) may be over a moment later.
    private static bool MayPass(IOException e) => e is not (PathTooLongException or DriveNotFoundException);
}
