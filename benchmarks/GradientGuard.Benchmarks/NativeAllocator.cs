using System;
using System.Runtime.InteropServices;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Settles glibc's malloc, which libtorch's CPU tensors come from, before the runtime benchmarks. By default glibc gives
/// freed memory at the top of its heap back to the kernel and maps large blocks fresh, adjusting both thresholds as it
/// goes; a training step frees and allocates its activations and gradients every time, so each step page-faults them
/// back in. On this machine that made the CNN's and the LSTM's plain steps 1.6 to 2.7 times slower (17–32 ms against
/// 10.5–13 ms settled), by an amount that changed from block to block and from model copy to model copy: paired blocks of
/// the same work differed by up to 2×, and no ratio could be read (benchmarks/README.md, session 8). Settled, both sides
/// of a pair run on warm memory and the ratio measures the monitor's work.
/// </summary>
internal static partial class NativeAllocator
{
    // glibc's mallopt parameters (malloc.h).
    private const int TrimThreshold = -1, TopPad = -2, MmapThreshold = -3;

    /// <summary>What <see cref="Settle"/> set, for the results; null before it ran.</summary>
    public static string? Setting { get; private set; }

    /// <summary>Keeps freed memory in the heap and serves blocks up to 32 MiB from it; says what was set.</summary>
    public static string Settle() => Setting = TrySettle();

    private static string TrySettle()
    {
        if (!OperatingSystem.IsLinux())
            return "the platform's default allocator";
        try
        {
            // 32 MiB is the largest mmap threshold glibc accepts on 64-bit; setting it also stops the dynamic adjustment.
            bool settled = Mallopt(MmapThreshold, 32 << 20) == 1 & Mallopt(TrimThreshold, int.MaxValue) == 1 & Mallopt(TopPad, 256 << 20) == 1;
            return settled
                ? "glibc malloc settled (mallopt: mmap threshold 32 MiB, trim threshold 2 GiB, top pad 256 MiB)"
                : "glibc malloc defaults (mallopt refused a setting)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "the C library's default allocator (no mallopt)";
        }
    }

    // glibc's soname, found wherever glibc is installed (libc.so is a linker script, there only with the development files).
    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
