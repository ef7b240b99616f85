using System;
using System.IO;
using System.Linq;

namespace GradientGuard.Tests;

/// <summary>
/// The host-synchronization counts of <see cref="HostSyncTests"/> are made in <c>HostReader</c>; a device-to-host copy
/// anywhere else in the runtime would synchronize uncounted. This test keeps every such copy in that one file.
/// </summary>
public sealed class HostCopySourceTests
{
    private static readonly string[] HostCopies = { ".item<", ".cpu(", "data<", ".ToDouble()", ".ToSingle()", ".ToScalar()", ".ToInt64()", ".ToBoolean()" };

    [Fact]
    public void Only_HostReader_copies_tensors_to_the_host()
    {
        string runtime = Path.Combine(RepositoryRoot(), "src", "GradientGuard");
        var files = Directory.EnumerateFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "HostReader.cs");

        var offending = files
            .Where(f => Path.GetFileName(f) != "HostReader.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(runtime, f), Line: i + 1, Text: line.Trim())))
            .Where(l => !l.Text.StartsWith("//", StringComparison.Ordinal) && !l.Text.StartsWith("///", StringComparison.Ordinal))
            .Where(l => HostCopies.Any(c => l.Text.Contains(c, StringComparison.Ordinal)))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}")
            .ToList();

        Assert.True(offending.Count == 0, "device-to-host copies outside HostReader.cs:\n" + string.Join("\n", offending));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GradientGuard.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No GradientGuard.sln above {AppContext.BaseDirectory}.");
    }
}
