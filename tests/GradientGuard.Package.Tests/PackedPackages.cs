using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;

namespace GradientGuard.Package.Tests;

/// <summary>Packs both packages once (no build: the test project's references built them) and opens them.</summary>
public sealed class PackedPackages : IDisposable
{
    private readonly string outputDirectory = Path.Combine(Path.GetTempPath(), "gradientguard-pack-" + Guid.NewGuid().ToString("N"));

    public PackedPackages()
    {
        var metadata = typeof(PackedPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value ?? "");
        string root = metadata["RepositoryRoot"];
        string configuration = metadata["Configuration"];

        Pack(Path.Combine(root, "src", "GradientGuard.Analyzers.Package", "GradientGuard.Analyzers.Package.csproj"), configuration);
        Pack(Path.Combine(root, "src", "GradientGuard", "GradientGuard.csproj"), configuration);

        Analyzers = new PackedPackage(Single("GradientGuard.Analyzers."));
        Runtime = new PackedPackage(Single("GradientGuard.0"));
    }

    public PackedPackage Analyzers { get; }

    public PackedPackage Runtime { get; }

    public void Dispose() => Directory.Delete(outputDirectory, recursive: true);

    private string Single(string prefix) =>
        Directory.GetFiles(outputDirectory, prefix + "*.nupkg").Single(p => !p.EndsWith(".symbols.nupkg", StringComparison.Ordinal));

    private void Pack(string project, string configuration)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "pack", project, "--no-build", "-c", configuration, "-o", outputDirectory, "-nologo" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet pack {Path.GetFileName(project)} failed:\n{output}");
    }
}

/// <summary>The entries and the nuspec of one .nupkg.</summary>
public sealed class PackedPackage
{
    public PackedPackage(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        Entries = zip.Entries.Select(e => e.FullName).ToArray();
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var root = XDocument.Load(stream).Root!;
        Nuspec = root.Name.Namespace;
        Metadata = root.Element(Nuspec + "metadata")!;
    }

    public IReadOnlyList<string> Entries { get; }

    /// <summary>The nuspec schema namespace, which differs between packages (developmentDependency needs a newer one).</summary>
    public XNamespace Nuspec { get; }

    public XElement Metadata { get; }

    public string? Value(string name) => Metadata.Element(Nuspec + name)?.Value;

    public IReadOnlyList<XElement> Dependencies => Metadata.Descendants(Nuspec + "dependency").ToArray();
}
