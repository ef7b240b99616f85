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
    /// <param name="CompileWithout">The Csc task's wall time without GradientGuard (the SDK's own analyzers included).</param>
    /// <param name="CompileWith">The Csc task's wall time with GradientGuard.</param>
    /// <param name="Telemetry">GradientGuard's execution time as the compiler reports it: all rules, and each rule.</param>
    public sealed record Result(int Files, int Lines, int Builds, TimeSpan CompileWithout, TimeSpan CompileWith, (TimeSpan Min, TimeSpan Max) RangeWithout, (TimeSpan Min, TimeSpan Max) RangeWith, TimeSpan SdkAnalyzers, TimeSpan Telemetry, IReadOnlyList<(string Rule, TimeSpan Time)> Rules, int Diagnostics)
    {
        /// <summary>GradientGuard's execution time over the compile time without it. An upper bound: the compiler charges an analyzer for binding it triggers first, which the build would otherwise do for the SDK's analyzers.</summary>
        public double TelemetryShare => Telemetry.TotalMilliseconds / CompileWithout.TotalMilliseconds;

        /// <summary>The wall time the analyzers add to the compile, over the compile time without them.</summary>
        public double WallShare => (CompileWith - CompileWithout).TotalMilliseconds / CompileWithout.TotalMilliseconds;
    }

    public static Result Measure(int files = 400, int builds = 5)
    {
        string directory = Path.Combine(Path.GetTempPath(), "gradientguard-codebase-" + Guid.NewGuid().ToString("N"));
        try
        {
            int lines = Generate(directory, files);
            Build(directory, withGradientGuard: true, restore: true); // restores and starts the compiler server, not kept
            var without = new List<BuildReport>();
            var with = new List<BuildReport>();
            for (int i = 0; i < builds; i++)
            {
                without.Add(Build(directory, withGradientGuard: false, restore: false));
                with.Add(Build(directory, withGradientGuard: true, restore: false));
            }
            var rules = with[0].Rules.Keys.OrderBy(k => k, StringComparer.Ordinal)
                .Select(rule => (rule, Median(with.Select(b => b.Rules.GetValueOrDefault(rule)))))
                .ToList();
            return new Result(files, lines, builds, Median(without.Select(b => b.Csc)), Median(with.Select(b => b.Csc)),
                (without.Min(b => b.Csc), without.Max(b => b.Csc)), (with.Min(b => b.Csc), with.Max(b => b.Csc)),
                Median(without.Select(b => b.Sdk)), Median(with.Select(b => b.GradientGuard)), rules, with[^1].Diagnostics);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // A project of its own, out of the repository (none of its build settings apply): TorchSharp and the analyzers by path.
    private static int Generate(string directory, int files)
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
              <ItemGroup Condition="'$(WithGradientGuard)' == 'true'">
                <Analyzer Include="{typeof(GradientGuardAnalyzer).Assembly.Location}" />
              </ItemGroup>
            </Project>
            """);
        int lines = 0;
        for (int i = 0; i < files; i++)
        {
            string source = CodeBase.File(i);
            lines += source.Split('\n').Length;
            File.WriteAllText(Path.Combine(directory, $"File{i}.cs"), source);
        }
        return lines;
    }

    private sealed record BuildReport(TimeSpan Csc, TimeSpan Sdk, TimeSpan GradientGuard, Dictionary<string, TimeSpan> Rules, int Diagnostics);

    private static BuildReport Build(string directory, bool withGradientGuard, bool restore)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", "--no-incremental", "-v:d", "-clp:PerformanceSummary", "-p:ReportAnalyzer=true", $"-p:WithGradientGuard={withGradientGuard}" })
            start.ArgumentList.Add(argument);
        if (!restore)
            start.ArgumentList.Add("--no-restore");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The generated code base did not build (exit {process.ExitCode}):\n{output[^Math.Min(output.Length, 4000)..]}{error.Result}");

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

    private static TimeSpan Median(IEnumerable<TimeSpan> times)
    {
        var sorted = times.OrderBy(t => t).ToList();
        return sorted[sorted.Count / 2];
    }
}
