using System;
using System.Linq;

namespace GradientGuard.Package.Tests;

public sealed class PackageLayoutTests : IClassFixture<PackedPackages>
{
    private readonly PackedPackages packages;

    public PackageLayoutTests(PackedPackages packages) => this.packages = packages;

    [Fact]
    public void Analyzers_package_holds_both_assemblies_under_analyzers_and_nothing_in_lib()
    {
        var entries = packages.Analyzers.Entries;
        Assert.Equal(
            new[] { "analyzers/dotnet/cs/GradientGuard.Analyzers.CodeFixes.dll", "analyzers/dotnet/cs/GradientGuard.Analyzers.dll" },
            entries.Where(e => e.StartsWith("analyzers/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.Contains("README.md", entries);
    }

    [Fact]
    public void Analyzers_package_is_a_development_dependency_without_dependencies()
    {
        Assert.Equal("true", packages.Analyzers.Value("developmentDependency"));
        Assert.Empty(packages.Analyzers.Dependencies);
    }

    [Fact]
    public void Runtime_package_holds_the_library_for_net8_and_no_analyzers()
    {
        var entries = packages.Runtime.Entries;
        Assert.Contains("lib/net8.0/GradientGuard.dll", entries);
        Assert.Contains("lib/net8.0/GradientGuard.xml", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("analyzers/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("runtimes/", StringComparison.Ordinal));
        Assert.Contains("README.md", entries);
        // The findings build logic, for the project that references the package and for those that reference it through a library.
        Assert.Contains("build/GradientGuard.targets", entries);
        Assert.Contains("buildTransitive/GradientGuard.targets", entries);
    }

    [Fact]
    public void Runtime_package_depends_on_managed_TorchSharp_and_brings_the_analyzers()
    {
        var dependencies = packages.Runtime.Dependencies.ToDictionary(d => (string)d.Attribute("id")!);

        Assert.Equal("0.107.0", (string?)dependencies["TorchSharp"].Attribute("version"));
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) || id.StartsWith("TorchSharp-", StringComparison.Ordinal));

        var analyzers = dependencies["GradientGuard.Analyzers"];
        Assert.Equal(packages.Runtime.Value("version"), (string?)analyzers.Attribute("version"));
        string exclude = (string?)analyzers.Attribute("exclude") ?? "";
        Assert.DoesNotContain("Analyzers", exclude, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("description")]
    [InlineData("tags")]
    [InlineData("readme")]
    [InlineData("authors")]
    public void Both_packages_carry_the_metadata_users_expect(string element)
    {
        Assert.False(string.IsNullOrWhiteSpace(packages.Analyzers.Value(element)), $"analyzers package lacks <{element}>");
        Assert.False(string.IsNullOrWhiteSpace(packages.Runtime.Value(element)), $"runtime package lacks <{element}>");
    }

    [Fact]
    public void Both_packages_declare_an_MIT_license_expression_and_a_repository()
    {
        foreach (var package in new[] { packages.Analyzers, packages.Runtime })
        {
            Assert.Equal("MIT", package.Value("license"));
            Assert.NotNull(package.Metadata.Element(package.Nuspec + "repository")?.Attribute("url"));
        }
    }

    [Fact]
    public void Tool_package_is_the_gradientguard_dotnet_tool_without_TorchSharp()
    {
        var tool = packages.Tool;
        Assert.Equal("GradientGuard.Tool", tool.Value("id"));
        Assert.Equal("DotnetTool", (string?)tool.Metadata.Element(tool.Nuspec + "packageTypes")?.Element(tool.Nuspec + "packageType")?.Attribute("name"));
        string settings = Assert.Single(tool.Entries, e => e.StartsWith("tools/", StringComparison.Ordinal) && e.EndsWith("/any/DotnetToolSettings.xml", StringComparison.Ordinal));
        var command = Assert.Single(tool.Xml(settings).Descendants("Command"));
        Assert.Equal("gradientguard", (string?)command.Attribute("Name"));
        Assert.Equal("GradientGuard.Tool.dll", (string?)command.Attribute("EntryPoint"));
        Assert.Contains(tool.Entries, e => e.EndsWith("/any/GradientGuard.Reporting.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(tool.Entries, e => e.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase) || e.Contains("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(tool.Dependencies); // a tool carries everything it runs with
    }
}
