using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;

namespace GradientGuard.RealCode;

/// <summary>What the sources compile against: the running .NET's own assemblies, TorchSharp, and any the user adds.</summary>
internal static class References
{
    public static IReadOnlyList<MetadataReference> Default(IEnumerable<string> extra)
    {
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var paths = Directory.GetFiles(runtime, "*.dll")
            .Where(IsManagedAssembly)
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Concat(extra.SelectMany(Expand))
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    // A --reference may name one assembly or a folder of them.
    private static IEnumerable<string> Expand(string path)
    {
        if (Directory.Exists(path))
            return Directory.GetFiles(path, "*.dll").Where(IsManagedAssembly);
        if (File.Exists(path))
            return new[] { Path.GetFullPath(path) };
        throw new ArgumentException($"--reference '{path}' is neither an assembly nor a folder.");
    }

    // The runtime folder also holds native libraries; only managed assemblies can be referenced.
    private static bool IsManagedAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
