using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;

namespace GradientGuard.Package.Tests;

/// <summary>Packs both packages once (no build: the test project's references built them) and opens them.</summary>
public sealed class PackedPackages : IDisposable
{

    public PackedPackages()
    {
        var metadata = typeof(PackedPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value ?? "");
        RepositoryRoot = metadata["RepositoryRoot"];
        Configuration = metadata["Configuration"];

        Pack(Path.Combine(RepositoryRoot, "src", "GradientGuard.Analyzers.Package", "GradientGuard.Analyzers.Package.csproj"), Configuration);
        Pack(Path.Combine(RepositoryRoot, "src", "GradientGuard", "GradientGuard.csproj"), Configuration);

        Analyzers = new PackedPackage(Single("GradientGuard.Analyzers."));
        Runtime = new PackedPackage(Single("GradientGuard.0"));
    }

    /// <summary>The folder the packages were packed into: a local feed.</summary>
    public string OutputDirectory { get; } = Path.Combine(Path.GetTempPath(), "gradientguard-pack-" + Guid.NewGuid().ToString("N"));

    public string RepositoryRoot { get; }

    public string Configuration { get; }

    public PackedPackage Analyzers { get; }

    public PackedPackage Runtime { get; }

    public void Dispose() => Directory.Delete(OutputDirectory, recursive: true);

    private string Single(string prefix) =>
        Directory.GetFiles(OutputDirectory, prefix + "*.nupkg").Single(p => !p.EndsWith(".symbols.nupkg", StringComparison.Ordinal));

    private void Pack(string project, string configuration)
    {
        var (exitCode, output) = DotnetCli.Run(RepositoryRoot, "pack", project, "--no-build", "-c", configuration, "-o", OutputDirectory, "-nologo");
        if (exitCode != 0)
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
