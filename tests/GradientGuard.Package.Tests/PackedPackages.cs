using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;

namespace GradientGuard.Package.Tests;

/// <summary>
/// Packs both libraries once (no build: the test project's references built them) and opens them; the tool package
/// on first use of <see cref="Tool"/>.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    // Packing the tool publishes into its one bin/.../publish folder: one pack at a time across the fixtures.
    private static readonly object ToolPackLock = new();
    private readonly Lazy<PackedPackage> tool;

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
        tool = new Lazy<PackedPackage>(() =>
        {
            lock (ToolPackLock)
                Pack(Path.Combine(RepositoryRoot, "src", "GradientGuard.Tool", "GradientGuard.Tool.csproj"), Configuration);
            return new PackedPackage(Single("GradientGuard.Tool."));
        });
    }

    /// <summary>The folder the packages were packed into: a local feed.</summary>
    public string OutputDirectory { get; } = Path.Combine(Path.GetTempPath(), "gradientguard-pack-" + Guid.NewGuid().ToString("N"));

    public string RepositoryRoot { get; }

    public string Configuration { get; }

    public PackedPackage Analyzers { get; }

    public PackedPackage Runtime { get; }

    /// <summary>The gradientguard dotnet tool's package, packed into <see cref="OutputDirectory"/> on first use.</summary>
    public PackedPackage Tool => tool.Value;

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
        Path = path;
        var root = Xml(zip, zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).FullName);
        Nuspec = root.Name.Namespace;
        Metadata = root.Element(Nuspec + "metadata")!;
    }

    public string Path { get; }

    public IReadOnlyList<string> Entries { get; }

    /// <summary>The root element of an XML file in the package.</summary>
    public XElement Xml(string entry)
    {
        using var zip = ZipFile.OpenRead(Path);
        return Xml(zip, entry);
    }

    /// <summary>The nuspec schema namespace, which differs between packages (developmentDependency needs a newer one).</summary>
    public XNamespace Nuspec { get; }

    public XElement Metadata { get; }

    public string? Value(string name) => Metadata.Element(Nuspec + name)?.Value;

    public IReadOnlyList<XElement> Dependencies => Metadata.Descendants(Nuspec + "dependency").ToArray();

    private static XElement Xml(ZipArchive zip, string entry)
    {
        using var stream = zip.GetEntry(entry)!.Open();
        return XDocument.Load(stream).Root!;
    }
}
