using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace GradientGuard.Package.Tests;

/// <summary>
/// Zero configuration through the packed package: the consumer's assembly records where its findings go (its obj/), and
/// once a findings file is there the next `dotnet build` shows the observed diagnostic on the model's code; the
/// GradientGuardFindings=false property turns both off.
/// </summary>
public sealed class FindingsBuildTests : IClassFixture<PackedPackages>
{
    private const string Model = """
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace Loop;

        public sealed class Net : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 1);

            public Net() : base("net") { RegisterComponents(); }

            public override Tensor forward(Tensor x)
            {
                x = fc1.call(x).sigmoid();
                return fc2.call(x);
            }
        }
        """;

    // What the monitor writes after training Net (docs/findings.md), a finding of an hour ago.
    private static string Findings() => $$"""
        {
          "format": "gradientguard-findings",
          "version": 1,
          "findings": [
            {
              "modelType": "Loop.Net, Consumer, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
              "kind": "Vanishing", "severity": "Warning", "rule": "GG0001", "step": 5,
              "layers": [{"name": "fc1", "type": "TorchSharp.Modules.Linear"}],
              "children": [{"name": "fc1", "type": "TorchSharp.Modules.Linear"}, {"name": "fc2", "type": "TorchSharp.Modules.Linear"}],
              "measure": "gradient norm of 'fc1' relative to 'fc2'", "value": 2.5e-05, "threshold": 0.001,
              "cause": "saturated Sigmoid outputs", "advice": "replace the hidden Sigmoid/Tanh activations with ReLU (quick fix of GG0001)",
              "runId": "0123456789abcdef0123456789abcdef", "time": "{{DateTimeOffset.UtcNow.AddHours(-1).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}"
            }
          ]
        }
        """;

    private readonly PackedPackages packages;

    public FindingsBuildTests(PackedPackages packages) => this.packages = packages;

    [Fact]
    public void The_build_records_the_findings_path_and_shows_the_observed_diagnostic_once_the_file_exists()
    {
        using var consumer = new ConsumerProject(packages, Path.Combine(packages.RepositoryRoot, "samples", "RiskyModels"));
        File.WriteAllText(Path.Combine(consumer.Folder, "Net.cs"), Model);
        string findings = Path.Combine(consumer.Folder, "obj", "gradientguard.findings.json");

        // Before any training: the path is recorded in the assembly, no observed diagnostic.
        var (firstCode, first) = DotnetCli.Run(consumer.Folder, "build", "Consumer.csproj", "-nologo");
        Assert.True(firstCode == 0, first);
        Assert.DoesNotContain("GG1001", first, StringComparison.Ordinal);
        string assembly = Directory.GetFiles(Path.Combine(consumer.Folder, "bin"), "Consumer.dll", SearchOption.AllDirectories).Single();
        Assert.True(Contains(File.ReadAllBytes(assembly), Encoding.UTF8.GetBytes(findings)), $"{assembly} does not record {findings}");

        // Training wrote its findings: the next build shows GG1001 on fc1, the layer whose gradient vanished.
        File.WriteAllText(findings, Findings());
        var (secondCode, second) = DotnetCli.Run(consumer.Folder, "build", "Consumer.csproj", "--no-restore", "-nologo");
        Assert.True(secondCode == 0, second);
        int line = Array.FindIndex(Model.Split('\n'), l => l.Contains("Linear fc1", StringComparison.Ordinal)) + 1;
        Assert.Matches(new Regex($@"Net\.cs\({line},\d+\): warning GG1001: Training observed vanishing gradients in 'fc1' at step 5"), second);

        // Turned off: neither the path nor the file.
        var (offCode, off) = DotnetCli.Run(consumer.Folder, "build", "Consumer.csproj", "--no-restore", "-nologo", "-p:GradientGuardFindings=false");
        Assert.True(offCode == 0, off);
        Assert.DoesNotContain("GG1001", off, StringComparison.Ordinal);
        Assert.False(Contains(File.ReadAllBytes(assembly), Encoding.UTF8.GetBytes(findings)));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
