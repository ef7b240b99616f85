using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The analyzers work in a real `dotnet build`, not only in the test harness: samples/RiskyModels shows each rule's
/// warning through its analyzer reference, and the same sources show them through the packed GradientGuard package.
/// </summary>
public sealed class SampleBuildTests : IClassFixture<PackedPackages>
{
    // One rule each file of the sample is written to break.
    private static readonly string[] ExpectedRules = { "GG0001", "GG0002", "GG0003", "GG0004", "GG0005", "GG0006", "GG0007", "GG0008", "GG0009" };

    private readonly PackedPackages packages;

    public SampleBuildTests(PackedPackages packages) => this.packages = packages;

    private string SampleDirectory => Path.Combine(packages.RepositoryRoot, "samples", "RiskyModels");

    [Fact]
    public void Sample_build_shows_each_rule_through_the_analyzer_reference()
    {
        // Rebuild only the sample (its compiler must run to print warnings); the analyzers were built before the tests.
        var (exitCode, output) = DotnetCli.Run(SampleDirectory, "build", "RiskyModels.csproj", "-c", packages.Configuration,
            "--no-incremental", "-p:BuildProjectReferences=false", "-nologo");

        AssertWarnings(exitCode, output);
    }

    [Fact]
    public void The_builds_SARIF_log_holds_every_rule_with_its_help_link_and_a_located_finding()
    {
        string sarif = Path.Combine(Path.GetTempPath(), "gradientguard-" + Guid.NewGuid().ToString("N") + ".sarif");
        try
        {
            var (exitCode, output) = DotnetCli.Run(SampleDirectory, "build", "RiskyModels.csproj", "-c", packages.Configuration,
                "--no-incremental", "-p:BuildProjectReferences=false", $"-p:ErrorLog={sarif}%2Cversion=2.1", "-nologo");
            Assert.True(exitCode == 0, output);

            using var log = JsonDocument.Parse(File.ReadAllText(sarif));
            var run = log.RootElement.GetProperty("runs")[0];
            var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
                .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("helpUri").GetString());
            var results = run.GetProperty("results").EnumerateArray().ToList();
            foreach (string id in ExpectedRules)
            {
                Assert.Equal($"https://github.com/gradientguard/gradientguard/blob/main/docs/rules/{id}.md", rules[id]);
                var finding = results.First(r => r.GetProperty("ruleId").GetString() == id);
                string uri = finding.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()!;
                Assert.EndsWith(".cs", uri, StringComparison.Ordinal);
                Assert.True(finding.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32() > 0);
            }
        }
        finally
        {
            File.Delete(sarif);
        }
    }

    [Fact]
    public void Installing_the_GradientGuard_package_brings_the_analyzers_into_the_build()
    {
        using var consumer = new ConsumerProject(packages, SampleDirectory);

        var (exitCode, output) = DotnetCli.Run(consumer.Folder, "build", "Consumer.csproj", "-nologo");

        AssertWarnings(exitCode, output);
    }

    [Fact]
    public void Dotnet_format_applies_every_rules_fix_through_the_packed_package()
    {
        // Every rule a warning here, so that the build after the fixes would show any diagnostic left (GG0003 is a
        // suggestion for non-recurrent models by default).
        using var consumer = new ConsumerProject(packages, SampleDirectory);
        File.WriteAllText(Path.Combine(consumer.Folder, ".editorconfig"),
            "root = true\n\n[*.cs]\n" + string.Concat(ExpectedRules.Select(id => $"dotnet_diagnostic.{id}.severity = warning\n")));
        var (restoreCode, restored) = DotnetCli.Run(consumer.Folder, "restore", "Consumer.csproj", "-nologo");
        Assert.True(restoreCode == 0, restored);
        var sources = Directory.GetFiles(consumer.Folder, "*.cs").ToDictionary(f => f, File.ReadAllText);

        var (formatCode, formatted) = DotnetCli.Run(consumer.Folder, new[] { "format", "analyzers", "Consumer.csproj", "--no-restore", "--severity", "info", "--diagnostics" }.Concat(ExpectedRules).ToArray());

        Assert.True(formatCode == 0, formatted);
        Assert.DoesNotContain("Unable to fix", formatted, StringComparison.Ordinal);
        Assert.All(sources, s => Assert.NotEqual(s.Value, File.ReadAllText(s.Key))); // one rule per file, each fixed
        var (buildCode, built) = DotnetCli.Run(consumer.Folder, "build", "Consumer.csproj", "--no-restore", "-nologo");
        Assert.True(buildCode == 0, built);
        Assert.DoesNotMatch(new Regex(@"warning GG\d{4}"), built);
    }

    private static void AssertWarnings(int exitCode, string output)
    {
        Assert.True(exitCode == 0, output);
        var rules = Regex.Matches(output, @"warning (GG\d{4}):").Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(ExpectedRules, rules);
        foreach (string loadFailure in new[] { "CS9057", "CS8032", "AD0001" })
            Assert.DoesNotContain(loadFailure, output, StringComparison.Ordinal);
    }
}
