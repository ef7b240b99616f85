using System;
using System.IO;
using System.Linq;
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
    public void Installing_the_GradientGuard_package_brings_the_analyzers_into_the_build()
    {
        string project = Path.Combine(Path.GetTempPath(), "gradientguard-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(project);
        try
        {
            foreach (string source in Directory.GetFiles(SampleDirectory, "*.cs"))
                File.Copy(source, Path.Combine(project, Path.GetFileName(source)));
            File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net8.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <NoWarn>NU1603</NoWarn>
                    <!-- A private package folder: no GradientGuard package from an earlier run can be picked up. -->
                    <RestorePackagesPath>{Path.Combine(project, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="GradientGuard" Version="{packages.Runtime.Value("version")}" />
                  </ItemGroup>
                </Project>
                """);
            // The local feed of the freshly packed packages, beside the machine's own sources.
            File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="gradientguard-local" value="{packages.OutputDirectory}" />
                  </packageSources>
                </configuration>
                """);

            var (exitCode, output) = DotnetCli.Run(project, "build", "Consumer.csproj", "-nologo");

            AssertWarnings(exitCode, output);
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
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
