using System;
using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.RealCode;

/// <summary>
/// Another build of GradientGuard.Analyzers.dll (an older commit's, say), loaded beside this one so that both run on the
/// same compilations in one process: the fair way to tell what a change to the analyzers did.
/// </summary>
internal static class OtherBuild
{
    public static ImmutableArray<DiagnosticAnalyzer> Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ArgumentException($"--versus: no file '{path}'.");
        // A context of its own: the same assembly name as this build's, so it cannot share the default context. The
        // compiler's assemblies are not found in it and come from the default context, shared with this build, which is
        // what lets the driver run both.
        var context = new AssemblyLoadContext("GradientGuard.Analyzers (versus)");
        ImmutableArray<DiagnosticAnalyzer> analyzers;
        try
        {
            analyzers = Program.AnalyzersIn(context.LoadFromAssemblyPath(full));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or ReflectionTypeLoadException)
        {
            throw new ArgumentException($"--versus: '{path}' cannot be loaded as an analyzer assembly ({e.GetType().Name}: {e.Message}).");
        }
        return analyzers.IsEmpty ? throw new ArgumentException($"--versus: '{path}' holds no analyzer.") : analyzers;
    }
}
