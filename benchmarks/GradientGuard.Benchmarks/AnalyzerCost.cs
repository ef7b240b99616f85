using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using GradientGuard.Analyzers.Infrastructure;

namespace GradientGuard.Benchmarks;

/// <summary>
/// Builds a generated TorchSharp code base (models and training loops of the shapes the rules look for) with
/// <c>dotnet build</c>, as a user's build does, with and without the GradientGuard analyzers, and reads the compiler's
/// own analyzer telemetry (<c>-p:ReportAnalyzer=true</c>). The SDK's default analyzers run in both builds, so the
/// difference is what GradientGuard adds. Builds alternate with and without; every figure is a median.
/// </summary>
internal static partial class AnalyzerCost
{
    /// <summary>One way of running the compiler, measured with and without GradientGuard.</summary>
    /// <param name="CompileWithout">The Csc task's wall time without GradientGuard (the SDK's own analyzers included).</param>
    /// <param name="CompileWith">The Csc task's wall time with GradientGuard.</param>
    /// <param name="Telemetry">GradientGuard's execution time as the compiler reports it: all rules, and each rule.</param>
    public sealed record Mode(string Name, int Builds, TimeSpan CompileWithout, TimeSpan CompileWith, (TimeSpan Min, TimeSpan Max) RangeWithout, (TimeSpan Min, TimeSpan Max) RangeWith, TimeSpan SdkAnalyzers, TimeSpan Telemetry, IReadOnlyList<(string Rule, TimeSpan Time)> Rules)
    {
        /// <summary>GradientGuard's execution time over the compile time without it. An upper bound: the compiler charges an analyzer for binding it triggers first, which the build would otherwise do for the SDK's analyzers.</summary>
        public double TelemetryShare => Telemetry.TotalMilliseconds / CompileWithout.TotalMilliseconds;

        /// <summary>The wall time the analyzers add to the compile, over the compile time without them.</summary>
        public double WallShare => (CompileWith - CompileWithout).TotalMilliseconds / CompileWithout.TotalMilliseconds;
    }

    /// <param name="Cold">A new compiler process per build (UseSharedCompilation=false, as CI machines often run it): the analyzers are loaded and JIT-compiled every time.</param>
    /// <param name="Warm">The compiler server (the SDK's default on developer machines), after warm-up builds: the analyzers' steady cost.</param>
    /// <param name="Mixed">The warm server on an application of the same size whose TorchSharp code is one file in ten.</param>
    public sealed record Result(int Files, int Lines, int Diagnostics, int MixedTorchSharpFiles, Mode Cold, Mode Warm, Mode Mixed);

    public static Result Measure(int files = 400, int coldBuilds = 7, int warmBuilds = 15)
    {
        string directory = Path.Combine(Path.GetTempPath(), "gradientguard-codebase-" + Guid.NewGuid().ToString("N"));
        string mixedDirectory = directory + "-mixed";
        int torchSharpFiles = files / 10;
        try
        {
            int lines = Generate(directory, Enumerable.Range(0, files).Select(CodeBase.File));
            Generate(mixedDirectory, Enumerable.Range(0, files).Select(i => i < torchSharpFiles ? CodeBase.File(i) : CodeBase.PlainFile(i)));
            var first = Build(directory, ThisBuild, server: false, restore: true); // restores; not kept
            Build(mixedDirectory, ThisBuild, server: false, restore: true);
            var cold = MeasureMode("new compiler process per build", directory, coldBuilds, server: false, warmups: 0);
            var warm = MeasureMode("compiler server, warm", directory, warmBuilds, server: true, warmups: 3);
            var mixed = MeasureMode($"mixed project ({torchSharpFiles} of {files} files TorchSharp), warm server", mixedDirectory, warmBuilds, server: true, warmups: 3);
            return new Result(files, lines, first.Diagnostics, torchSharpFiles, cold, warm, mixed);
        }
        finally
        {
            // Cleanup must not hide the failure that brought us here: it runs from a directory that exists.
            Run(Path.GetTempPath(), "build-server", "shutdown"); // the server started for the warm builds
            foreach (string generated in new[] { directory, mixedDirectory })
            {
                if (Directory.Exists(generated))
                    Directory.Delete(generated, recursive: true);
            }
        }
    }

    private static Mode MeasureMode(string name, string directory, int builds, bool server, int warmups)
    {
        for (int i = 0; i < warmups; i++)
        {
            Build(directory, i % 2 == 0 ? ThisBuild : null, server, restore: false);
        }
        var without = new List<BuildReport>();
        var with = new List<BuildReport>();
        for (int i = 0; i < builds; i++)
        {
            without.Add(Build(directory, analyzer: null, server, restore: false));
            with.Add(Build(directory, ThisBuild, server, restore: false));
        }
        var rules = with[0].Rules.Keys.OrderBy(k => k, StringComparer.Ordinal)
            .Select(rule => (rule, Median(with.Select(b => b.Rules.GetValueOrDefault(rule)))))
            .ToList();
        return new Mode(name, builds, Median(without.Select(b => b.Csc)), Median(with.Select(b => b.Csc)),
            (without.Min(b => b.Csc), without.Max(b => b.Csc)), (with.Min(b => b.Csc), with.Max(b => b.Csc)),
            Median(without.Select(b => b.Sdk)), Median(with.Select(b => b.GradientGuard)), rules);
    }

    /// <summary>The analyzers this benchmark was built with.</summary>
    internal static string ThisBuild => typeof(GradientGuardAnalyzer).Assembly.Location;

    // A project of its own, out of the repository (none of its build settings apply): TorchSharp by path, and the
    // analyzers from the path each build passes (none when it passes none), so that two builds of them can be compared.
    internal static int Generate(string directory, IEnumerable<string> sources)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "CodeBase.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="TorchSharp" HintPath="{typeof(TorchSharp.torch).Assembly.Location}" />
              </ItemGroup>
              <ItemGroup Condition="'$(GradientGuardAnalyzer)' != ''">
                <Analyzer Include="$(GradientGuardAnalyzer)" />
              </ItemGroup>
            </Project>
            """);
        int lines = 0, file = 0;
        foreach (string source in sources)
        {
            lines += source.Split('\n').Length;
            File.WriteAllText(Path.Combine(directory, $"File{file++}.cs"), source);
        }
        return lines;
    }

    internal sealed record BuildReport(TimeSpan Csc, TimeSpan Sdk, TimeSpan GradientGuard, Dictionary<string, TimeSpan> Rules, int Diagnostics);

    /// <param name="analyzer">The GradientGuard.Analyzers.dll to build with, or null for none.</param>
    internal static BuildReport Build(string directory, string? analyzer, bool server, bool restore)
    {
        var arguments = new List<string> { "build", "--no-incremental", "-v:d", "-clp:PerformanceSummary", "-p:ReportAnalyzer=true", $"-p:GradientGuardAnalyzer={analyzer}", $"-p:UseSharedCompilation={server}" };
        if (!restore)
            arguments.Add("--no-restore");
        string output = Run(directory, arguments.ToArray());

        var csc = CscTime().Match(output);
        if (!csc.Success)
            throw new InvalidOperationException("No Csc task time in the build's performance summary.");
        var rules = RuleTime().Matches(output).ToDictionary(m => m.Groups["rule"].Value, m => Seconds(m.Groups["time"].Value));
        return new BuildReport(
            TimeSpan.FromMilliseconds(int.Parse(csc.Groups["ms"].Value, CultureInfo.InvariantCulture)),
            AssemblyTime(output, "Microsoft.CodeAnalysis.NetAnalyzers"),
            AssemblyTime(output, "GradientGuard.Analyzers"),
            rules,
            Warning().Matches(output).Select(m => m.Value).Distinct().Count()); // the build prints a warning as it happens and again in its summary
    }

    // dotnet with these arguments in the directory: its output, or an exception with the end of it.
    internal static string Run(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed (exit {process.ExitCode}):\n{output[^Math.Min(output.Length, 4000)..]}{error.Result}");
        return output;
    }

    // "    0.234   20      GradientGuard.Analyzers.Rules.GG0002InitializationAnalyzer (GG0002)"; "<0.001" for the fastest.
    [GeneratedRegex(@"^\s*(?<time><?[\d.]+)\s+\S+\s+GradientGuard\.Analyzers\.Rules\.\w+ \((?<rule>GG\d{4})\)\s*$", RegexOptions.Multiline)]
    private static partial Regex RuleTime();

    [GeneratedRegex(@"\S+\(\d+,\d+\): warning GG\d{4}:")]
    private static partial Regex Warning();

    [GeneratedRegex(@"^\s*(?<ms>\d+) ms\s+Csc\s+\d+ calls", RegexOptions.Multiline)]
    private static partial Regex CscTime();

    private static TimeSpan AssemblyTime(string output, string assembly)
    {
        var match = Regex.Match(output, @"^\s*(?<time><?[\d.]+)\s+\S+\s+" + Regex.Escape(assembly) + @", Version=", RegexOptions.Multiline);
        return match.Success ? Seconds(match.Groups["time"].Value) : TimeSpan.Zero;
    }

    private static TimeSpan Seconds(string text) =>
        TimeSpan.FromSeconds(text.StartsWith('<') ? 0 : double.Parse(text, CultureInfo.InvariantCulture));

    internal static TimeSpan Median(IEnumerable<TimeSpan> times)
    {
        var sorted = times.OrderBy(t => t).ToList();
        return sorted[sorted.Count / 2];
    }
}
