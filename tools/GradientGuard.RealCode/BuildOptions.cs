using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradientGuard.RealCode;

/// <summary>
/// The analyzer options a build hands the analyzers of one folder: the SDK's generated global config (the
/// <c>build_property.*</c> keys every project gets) and the <c>.editorconfig</c> and <c>.globalconfig</c> files in the
/// folder, below it and above it (as MSBuild passes them; <see cref="AnalyzerConfigSet"/> applies <c>root = true</c>),
/// merged per file as the compiler merges them, one options object per file. With no options at all every file would
/// share one empty object, and a rule reading its options would cost less here than in a build (session 19's review).
/// Only the analyzers' options: a <c>dotnet_diagnostic.*.severity</c> does not change what the command reports.
/// </summary>
internal static class BuildOptions
{
    /// <summary>
    /// The options for <paramref name="project"/>'s files; a config file or folder that cannot be read is an
    /// <see cref="ArgumentException"/>. A malformed config is read as the compiler reads it (what it cannot parse is ignored).
    /// </summary>
    public static AnalyzerOptions For(SourceFolder project)
    {
        var configs = new List<AnalyzerConfig> { AnalyzerConfig.Parse(SdkGlobalConfig(project), Path.Combine(project.Root, "obj", "GeneratedMSBuildEditorConfig.editorconfig")) };
        try
        {
            foreach (string path in ConfigFiles(project.Root))
                configs.Add(AnalyzerConfig.Parse(SourceText.From(File.ReadAllText(path)), path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"the config files of '{project.Root}' cannot be read: {e.Message}", e);
        }
        return new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new Provider(AnalyzerConfigSet.Create(configs, out _)));
    }

    // What the SDK writes to obj/<project>.GeneratedMSBuildEditorConfig.editorconfig for a library targeting .NET 10.
    private static string SdkGlobalConfig(SourceFolder project) => $"""
        is_global = true
        build_property.TargetFramework = net10.0
        build_property.TargetFrameworkIdentifier = .NETCoreApp
        build_property.TargetFrameworkVersion = v10.0
        build_property.TargetPlatformMinVersion = 
        build_property.UsingMicrosoftNETSdkWeb = 
        build_property.ProjectTypeGuids = 
        build_property.InvariantGlobalization = 
        build_property.PlatformNeutralAssembly = 
        build_property.EnforceExtendedAnalyzerRules = 
        build_property._SupportedPlatformList = Linux,macOS,Windows
        build_property.EntryPointFilePath = 
        build_property.RootNamespace = {Path.GetFileName(project.Root)}
        build_property.ProjectDir = {project.Root}{Path.DirectorySeparatorChar}
        build_property.EnableComHosting = 
        build_property.EnableGeneratedComInterfaceComImportInterop = 
        build_property.EffectiveAnalysisLevelStyle = 10.0
        build_property.EnableCodeStyleSeverity = 
        """;

    private static readonly string[] ConfigNames = { ".editorconfig", ".globalconfig" };

    // Every .editorconfig and .globalconfig in the folder and below it (the folders SourceFolder skips skipped), and in
    // every folder above it: the set stops at root = true itself, as the compiler's does. Read now, inside the caller's catch.
    private static List<string> ConfigFiles(string root)
    {
        var found = ConfigNames.SelectMany(name => Directory.EnumerateFiles(root, name, SearchOption.AllDirectories))
            .Where(path => !Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Any(SourceFolder.IsSkipped))
            .ToList();
        for (var folder = Directory.GetParent(root); folder is not null; folder = folder.Parent)
            found.AddRange(ConfigNames.Select(name => Path.Combine(folder.FullName, name)).Where(File.Exists));
        return found;
    }

    // One options object per file path, merged on first ask and kept for every compilation of the folder (each timed
    // pass parses the files anew): whatever trees the command compiles, each gets what the compiler would give it.
    private sealed class Provider : AnalyzerConfigOptionsProvider
    {
        private static readonly AnalyzerConfigOptions None = new Options(ImmutableDictionary<string, string>.Empty);
        private readonly AnalyzerConfigSet set;
        private readonly ConcurrentDictionary<string, AnalyzerConfigOptions> perFile = new(StringComparer.Ordinal);

        public Provider(AnalyzerConfigSet set)
        {
            this.set = set;
            GlobalOptions = new Options(set.GlobalConfigOptions.AnalyzerOptions);
        }

        public override AnalyzerConfigOptions GlobalOptions { get; }

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) =>
            string.IsNullOrEmpty(tree.FilePath) ? None : perFile.GetOrAdd(tree.FilePath, path => new Options(set.GetOptionsForSourcePath(path).AnalyzerOptions));

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;
    }

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly ImmutableDictionary<string, string> values;

        public Options(ImmutableDictionary<string, string> values) => this.values = values;

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);

        public override IEnumerable<string> Keys => values.Keys;
    }
}
