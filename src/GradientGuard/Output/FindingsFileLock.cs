using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace GradientGuard.Output;

/// <summary>
/// Makes the writers of one findings file take turns, in this process or in others (DDP ranks, parallel CI jobs, two
/// trainings of one project): a lock file next to it (<c>gradientguard.findings.json.lock</c>) that only one writer can
/// create (CreateNew) and that is deleted when released. A writer waits at most <see cref="MaxWait"/>, polling; a lock
/// file older than <see cref="StaleAfter"/> was left by a writer that died holding it (a merge takes milliseconds) and is
/// removed. When the wait runs out, or the lock file cannot be created at all, the writer goes on without a turn: a
/// finding another writer might drop beats training blocked for long, and the rename keeps the file whole either way.
/// </summary>
internal sealed class FindingsFileLock : IDisposable
{
    /// <summary>The longest a writer waits for its turn.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    /// <summary>A lock file older than this is taken to be left by a writer that died.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    private readonly FileStream? held;

    private FindingsFileLock(FileStream? held) => this.held = held;

    /// <summary>Whether this writer has its turn (false: it waited <see cref="MaxWait"/> in vain, or cannot create the lock file).</summary>
    public bool IsHeld => held is not null;

    public static string PathOf(string findingsPath) => findingsPath + ".lock";

    public static FindingsFileLock Acquire(string findingsPath)
    {
        string lockPath = PathOf(findingsPath);
        var waited = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                string? folder = Path.GetDirectoryName(lockPath);
                if (folder is not null)
                    Directory.CreateDirectory(folder);
                // DeleteOnClose: the file goes when the stream is disposed (also when the process ends, on Windows).
                return new FindingsFileLock(new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose));
            }
            catch (IOException) when (waited.Elapsed < MaxWait)
            {
                RemoveIfStale(lockPath);
                // 1, 2, 4 ... 16 ms: a turn is usually free within a merge's few milliseconds.
                Thread.Sleep(1 << Math.Min(attempt, 4));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new FindingsFileLock(null);
            }
        }
    }

    // A lock file whose writer died (a crash, a killed rank) would block every later writer until MaxWait: it is removed.
    private static void RemoveIfStale(string lockPath)
    {
        try
        {
            var written = File.GetLastWriteTimeUtc(lockPath);
            // A file that is gone reads as 1601-01-01: nothing to remove.
            if (written.Year > 1601 && DateTime.UtcNow - written > StaleAfter)
                File.Delete(lockPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // held open by a live writer (Windows), or not ours to delete: wait for it
        }
    }

    public void Dispose() => held?.Dispose();
}
