using System;
using System.IO;

namespace GradientGuard.Package.Tests;

/// <summary>
/// A copy of samples/RiskyModels in a temporary folder that consumes the freshly packed GradientGuard package, as a
/// user's project does (its own package folder, so no package from an earlier run is picked up). Deleted on dispose.
/// </summary>
internal sealed class ConsumerProject : IDisposable
{
    public ConsumerProject(PackedPackages packages, string sampleDirectory, string extraProperties = "")
    {
        Directory.CreateDirectory(Folder);
        foreach (string source in Directory.GetFiles(sampleDirectory, "*.cs"))
            File.Copy(source, Path.Combine(Folder, Path.GetFileName(source)));
        File.WriteAllText(Path.Combine(Folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net8.0</TargetFramework>
                <Nullable>enable</Nullable>
                <NoWarn>NU1603</NoWarn>
                <RestorePackagesPath>{Path.Combine(Folder, "packages")}</RestorePackagesPath>{extraProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="GradientGuard" Version="{packages.Runtime.Value("version")}" />
              </ItemGroup>
            </Project>
            """);
        // The local feed of the freshly packed packages, beside the machine's own sources.
        File.WriteAllText(Path.Combine(Folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="gradientguard-local" value="{packages.OutputDirectory}" />
              </packageSources>
            </configuration>
            """);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "gradientguard-consumer-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
