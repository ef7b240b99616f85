using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The README's loop on the demo (its run command's arguments): run it, build it, and the build shows what the runs observed on the demo's model code
/// (GG1001 on the Sigmoid MLP's first vanished layer, GG1002 on the plain RNN). Runs on a copy of the demo project beside
/// it in samples/ (so its relative references to the repository's projects hold), with its own obj/ and bin/: the
/// findings it writes go to the copy's obj/, never to the repository's, and the copy is deleted afterwards.
/// </summary>
public sealed class DemoFindingsTests
{
    [Fact]
    public void After_the_demo_ran_its_build_shows_the_observed_diagnostics_on_the_models()
    {
        var metadata = typeof(DemoFindingsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value ?? "");
        string root = metadata["RepositoryRoot"], configuration = metadata["Configuration"];
        string demo = Path.Combine(root, "samples", "GradientGuard.Demo");
        string copy = Path.Combine(root, "samples", ".demo-findings-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            foreach (string file in Directory.GetFiles(demo).Where(f => Path.GetExtension(f) is ".cs" or ".csproj" || Path.GetFileName(f) == ".editorconfig"))
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            // The repository's projects were built before the tests: build only the copy.
            string[] build = { "build", "GradientGuard.Demo.csproj", "-c", configuration, "-p:BuildProjectReferences=false", "-nologo" };
            var (firstCode, first) = DotnetCli.Run(copy, build);
            Assert.True(firstCode == 0, first);
            Assert.DoesNotContain("GG1001", first, StringComparison.Ordinal);

            string program = Directory.GetFiles(Path.Combine(copy, "bin"), "GradientGuard.Demo.dll", SearchOption.AllDirectories).Single();
            // The demo's arguments as the README's loop section gives them (its run, then its build).
            var readme = File.ReadLines(Path.Combine(root, "README.md")).Single(l => l.StartsWith("dotnet run -c Release --project samples/GradientGuard.Demo -- ", StringComparison.Ordinal));
            var arguments = readme.Split(" -- ")[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var (runCode, run) = DotnetCli.Run(copy, new[] { program }.Concat(arguments).Concat(new[] { "--out", Path.Combine(copy, "runs") }).ToArray());
            Assert.True(runCode == 0, run);
            Assert.True(File.Exists(Path.Combine(copy, "obj", "gradientguard.findings.json")), run);

            var (secondCode, second) = DotnetCli.Run(copy, build);
            Assert.True(secondCode == 0, second); // observed diagnostics are warnings, not errors, in the demo
            Assert.Matches(new Regex($@"SigmoidMlp\.cs\({Line(copy, "SigmoidMlp.cs", "Linear fc1 = ")},\d+\): warning GG1001: Training observed vanishing gradients in 'fc1'"), second);
            Assert.Matches(new Regex($@"Scenarios\.cs\({Line(copy, "Scenarios.cs", "RNN rnn = ")},\d+\): warning GG1002: Training observed exploding gradients in 'rnn'"), second);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static int Line(string folder, string file, string text) =>
        Array.FindIndex(File.ReadAllLines(Path.Combine(folder, file)), l => l.Contains(text, StringComparison.Ordinal)) + 1;
}
