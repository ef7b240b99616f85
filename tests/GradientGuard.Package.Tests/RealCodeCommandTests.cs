using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The contributor's real-code command (tools/GradientGuard.RealCode) on a folder of loose sources with no project file:
/// diagnostics as file:line id severity message, counts per rule, analyzer exceptions, and the analyzers' time beside
/// the compile time; broken code tolerated; bad arguments refused with a clear error.
/// </summary>
public sealed class RealCodeCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "gradientguard-realcode-" + Guid.NewGuid().ToString("N"));

    // The folder's own .editorconfig, marked root: no config file above it (the machine's) reaches the command's analyzers.
    public RealCodeCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(folder, "src", "Training"));
        File.WriteAllText(Path.Combine(folder, ".editorconfig"), "root = true\n");
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Reports_each_diagnostic_the_counts_no_exception_and_the_time_on_loose_and_broken_sources()
    {
        File.WriteAllText(Path.Combine(folder, "src", "Training", "Trainer.cs"), """
            using TorchSharp;
            using static TorchSharp.torch;

            class Trainer
            {
                void Train(Tensor x, Tensor y)
                {
                    var model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1));
                    var optimizer = optim.Adam(model.parameters());
                    for (int i = 0; i < 10; i++)
                    {
                        optimizer.zero_grad();
                        nn.functional.mse_loss(model.forward(x), y).backward();
                        optimizer.step();
                    }
                }
            }
            """);
        // Written against an API that does not exist, and cut off mid-statement: compile errors, no analyzer exception.
        File.WriteAllText(Path.Combine(folder, "Broken.cs"), """
            using static TorchSharp.torch;
            class Broken { void F(optim.Optimizer o) { OldApi.Loss(o).backward(); o.step( } }
            """);

        var (exitCode, output) = Run(folder, "--runs", "1", "--wall");

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^src/Training/Trainer\.cs:8 GG0001 warning 3 hidden Sigmoid/Tanh activations", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^src/Training/Trainer\.cs:14 GG0003 info 'optimizer\.step\(\)' follows backward\(\)", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GG0001  1$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GG0003  1$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GG0005  0$", RegexOptions.Multiline), output);
        Assert.Contains("Analyzer exceptions: none", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"Sources: 2 files in 1 project\(s\); compile errors tolerated: [1-9]\d* in 1 files"), output);
        // The SDK's own compiler, precompiled, as a build runs it; the package's is JIT-compiled (the project file copies the SDK's over it).
        Assert.Matches(new Regex(@"^Compiler: Roslyn 5\.9\.\S+, precompiled \(ReadyToRun\), as the SDK's csc and VBCSCompiler run it$", RegexOptions.Multiline), output);
        // Under the compiler's own collector (csc and VBCSCompiler run the server one), or the compile it divides by is not the compiler's.
        Assert.Matches(new Regex(@"Time \(median of 1 runs, server collector, as the compiler\): compile \d+ ms; GradientGuard analyzers \d+ ms \(\d+\.\d % of compile\)"), output);
        Assert.Matches(new Regex(@"each project's fastest run, summed: compile \d+ ms; GradientGuard analyzers \d+ ms \(\d+\.\d % of compile\)"), output);
        Assert.Matches(new Regex(@"analysis pass, wall clock: with GradientGuard \d+ ms, with the do-nothing analyzer alone \d+ ms; GradientGuard adds -?\d+ ms"), output);
        Assert.Matches(new Regex(@"CPU time \(all threads[^)]*\): compile \d+ ms; GradientGuard adds -?\d+ ms to the analysis pass \(-?\d+\.\d % of compile; per run -?\d+ ms\)"), output);
        // Bytes are counted, not left at zero: any analysis pass binds, and binding allocates.
        var allocated = Regex.Match(output, @"allocated in the analysis pass \(all threads\): with GradientGuard (?<with>\d+\.\d) MiB; GradientGuard adds (?<added>-?\d+\.\d) MiB \(per run -?\d+\.\d MiB\)");
        Assert.True(allocated.Success, output);
        Assert.True(double.Parse(allocated.Groups["with"].Value, CultureInfo.InvariantCulture) > 0, output);
    }

    [Fact]
    public void Each_subfolder_is_a_project_of_its_own_with_each()
    {
        foreach (string project in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(folder, project));
            // The same type name in both: as one compilation these would collide.
            File.WriteAllText(Path.Combine(folder, project, "Rnn.cs"), "using static TorchSharp.torch; class Model { object Create() => nn.RNN(4, 8); }");
        }

        var (exitCode, output) = Run(folder, "--each", "--runs", "0");

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^a/Rnn\.cs:1 GG0005 warning ", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^b/Rnn\.cs:1 GG0005 warning ", RegexOptions.Multiline), output);
        Assert.Contains("Sources: 2 files in 2 project(s); compile errors tolerated: 0 in 0 files", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Time (", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_build_of_the_analyzers_runs_on_the_same_compilations_with_versus()
    {
        File.WriteAllText(Path.Combine(folder, "Rnn.cs"), "using static TorchSharp.torch; class Model { object Create() => nn.RNN(4, 8); }");

        // This build against itself, loaded a second time: the same diagnostics, and both builds timed.
        var (exitCode, output) = Run(folder, "--runs", "2", "--versus", ToolFile("GradientGuard.Analyzers.dll"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("    diagnostics: the same 1", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"GradientGuard telemetry: this \d+ ms, other \d+ ms; this − other by run -?\d+, -?\d+ ms \(median -?\d+\)"), output);
        Assert.Matches(new Regex(@"analysis pass, wall clock: this \d+ ms, other \d+ ms; this − other by run -?\d+, -?\d+ ms"), output);
        Assert.Matches(new Regex(@"analysis pass, CPU time \(all threads\): this \d+ ms, other \d+ ms"), output);
        Assert.Matches(new Regex(@"analysis pass, allocated \(all threads\): this \d+\.\d MiB, other \d+\.\d MiB; this − other by run -?\d+\.\d, -?\d+\.\d MiB \(median -?\d+\.\d\)"), output);

        // A build with no GradientGuard rule (the tool's own assembly holds only the do-nothing analyzer): every
        // diagnostic is listed as this build's alone.
        (exitCode, output) = Run(folder, "--runs", "0", "--versus", ToolFile("GradientGuard.RealCode.dll"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("    diagnostics DIFFER: 1 only with this build, 0 only with the other", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^      this:  Rnn\.cs:1 GG0005 warning ", RegexOptions.Multiline), output);
    }

    // A GG0005 report on line 4 and a GG0001 report on line 5.
    private const string RnnAndTanhStack = """
        using static TorchSharp.torch;
        class Model
        {
            object Create() => nn.RNN(4, 8);
            object Stack() => nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1));
        }
        """;

    [Fact]
    public void Reads_the_editorconfig_files_that_govern_the_sources_as_a_build_does()
    {
        // Two hidden Tanh activations: reported only where a config lowers GG0001's threshold to 2, which the .editorconfig
        // above the project does for one file, the one in its subfolder for that folder, and another project's
        // .globalconfig for all of it; a mistyped key is GG9001's, with no file.
        string project = Path.Combine(folder, "Project");
        Directory.CreateDirectory(Path.Combine(project, "Deep"));
        const string TwoTanh = """
            using static TorchSharp.torch;
            class {0} {{ object Stack() => nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)); }}
            """;
        File.WriteAllText(Path.Combine(project, "Shallow.cs"), string.Format(CultureInfo.InvariantCulture, TwoTanh, "Shallow"));
        File.WriteAllText(Path.Combine(project, "Lowered.cs"), string.Format(CultureInfo.InvariantCulture, TwoTanh, "Lowered"));
        File.WriteAllText(Path.Combine(project, "Deep", "Nested.cs"), string.Format(CultureInfo.InvariantCulture, TwoTanh, "Nested"));
        File.WriteAllText(Path.Combine(folder, ".editorconfig"), """
            root = true

            [Lowered.cs]
            gradientguard.GG0001.min_saturating_activations = 2
            gradientguard.GG0001.min_saturating_activation = 2
            """);
        File.WriteAllText(Path.Combine(project, "Deep", ".editorconfig"), """
            [*.cs]
            gradientguard.GG0001.min_saturating_activations = 2
            """);
        // A .globalconfig sets its keys for every file of the project it stands in.
        string global = Path.Combine(folder, "Global");
        Directory.CreateDirectory(global);
        File.WriteAllText(Path.Combine(global, "Everywhere.cs"), string.Format(CultureInfo.InvariantCulture, TwoTanh, "Everywhere"));
        File.WriteAllText(Path.Combine(global, ".globalconfig"), "gradientguard.GG0001.min_saturating_activations = 2\n");

        var (exitCode, output) = Run(folder, "--each", "--runs", "0", "--only", "GG0001,GG9001");

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^Project/Lowered\.cs:2 GG0001 warning 2 hidden", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^Project/Deep/Nested\.cs:2 GG0001 warning 2 hidden", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^Global/Everywhere\.cs:2 GG0001 warning 2 hidden", RegexOptions.Multiline), output);
        Assert.DoesNotContain("Shallow.cs", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^\(no file\) GG9001 warning 'gradientguard\.gg0001\.min_saturating_activation = 2': no GradientGuard rule reads this key", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GG9001  1$", RegexOptions.Multiline), output);
    }

    [Fact]
    public void Only_runs_the_rules_named_and_serial_runs_them_on_one_thread()
    {
        File.WriteAllText(Path.Combine(folder, "Rnn.cs"), RnnAndTanhStack);

        var (exitCode, output) = Run(folder, "--runs", "1", "--serial", "--only", "gg0005");

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^Rnn\.cs:4 GG0005 warning ", RegexOptions.Multiline), output);
        Assert.DoesNotContain("GG0001", output, StringComparison.Ordinal); // neither reported nor counted
        Assert.Matches(new Regex(@"^  per analyzer: GG0005 \d+ ms$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GradientGuard's share per run: \d+\.\d %$", RegexOptions.Multiline), output);

        (exitCode, output) = Run(folder, "--runs", "0", "--only", "GG0001,GG0005");

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^Rnn\.cs:5 GG0001 warning ", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  GG0005  1$", RegexOptions.Multiline), output);
        Assert.DoesNotContain("GG0003", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_times_the_rules_callbacks_without_changing_what_they_report()
    {
        File.WriteAllText(Path.Combine(folder, "Rnn.cs"), RnnAndTanhStack);
        File.WriteAllText(Path.Combine(folder, "Other.cs"), "class Other { }\n");

        // Both builds wrapped: each still reports what it reports unwrapped, and each one's callbacks are timed.
        var (exitCode, output) = Run(folder, "--runs", "2", "--cpu", "--versus", ToolFile("GradientGuard.Analyzers.dll"));

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^Rnn\.cs:4 GG0005 warning ", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^Rnn\.cs:5 GG0001 warning ", RegexOptions.Multiline), output);
        Assert.Contains("    diagnostics: the same 2", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  CPU time of the rules' callbacks \(--cpu\): median \d+ ms \(\d+\.\d % of compile; per run \d+, \d+ ms\); each project's fastest run, summed: \d+ ms", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^    per analyzer: GG\d{4} \d+ ms", RegexOptions.Multiline), output);
        // The callbacks are counted as the driver makes them: GG0005 is called at its compilation's start and once per
        // file, of which there are two.
        Assert.Matches(new Regex(@"^    callbacks per pass: .*GG0005 3\b", RegexOptions.Multiline), output);
        // The same callbacks' wall clock beside their CPU, and what kept their thread off its core for the difference.
        Assert.Matches(new Regex(@"^    wall clock in the same callbacks: median \d+ ms; beyond their CPU, per run \d+, \d+ ms; in the median run, \d+ ms: taken off the core while runnable, \d+ callbacks, \d+ ms; asleep \(a contended lock, the disk\), \d+ callbacks, \d+ ms; during a collection, \d+ callbacks, \d+ ms; none of these, [1-9]\d* callbacks, \d+ ms$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"GradientGuard CPU time \(--cpu\): this \d+ ms, other \d+ ms; this − other by run -?\d+, -?\d+ ms"), output);
        Assert.Matches(new Regex(@"GradientGuard telemetry, each project's fastest run summed: this \d+ ms, other \d+ ms"), output);
    }

    [Fact]
    public void Keystroke_edits_each_file_that_names_torch_and_times_the_rules_for_it_alone()
    {
        File.WriteAllText(Path.Combine(folder, "Rnn.cs"), RnnAndTanhStack);
        File.WriteAllText(Path.Combine(folder, "Other.cs"), "class Other { }\n");

        var (exitCode, output) = Run(folder, "--keystroke", "--runs", "2", "--only", "GG0001,GG0005", "--versus", ToolFile("GradientGuard.Analyzers.dll"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("Keystrokes (1 file that names torch, each edited and analyzed alone, 2 runs, server collector, as the compiler; analyzer exceptions: 0):", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  per keystroke \(median\): the file's compile \d+\.\d\d ms, GradientGuard \d+\.\d\d ms$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  every file once \(median of runs\): compile \d+ ms, GradientGuard \d+ ms \(\d+\.\d % of compile\)$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  per analyzer, every file once: GG000[15] \d+ ms, GG000[15] \d+ ms$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  costliest keystrokes \(median of runs\): Rnn\.cs \d+\.\d ms \(compile \d+\.\d ms\)$", RegexOptions.Multiline), output);
        Assert.DoesNotContain("Other.cs", output, StringComparison.Ordinal);
        // Rnn.cs holds a GG0001 and a GG0005 diagnostic: an editor must show the two a build reports.
        Assert.Contains("  diagnostics per keystroke: the same as a build's, in every file", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  versus the other build: per keystroke \(median\) this \d+\.\d\d ms, other \d+\.\d\d ms, this − other -?\d+\.\d\d ms \(paired per keystroke\)$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  versus the other build: every file once, this \d+ ms, other \d+ ms; this − other by run -?\d+, -?\d+ ms \(median -?\d+\); the other build's analyzer exceptions: 0$", RegexOptions.Multiline), output);
    }

    [Fact]
    public void A_versus_file_that_is_no_assembly_is_refused_with_a_clear_error()
    {
        string notAnAssembly = Path.Combine(folder, "Model.cs");
        File.WriteAllText(notAnAssembly, "class Model { }");

        var (exitCode, output) = Run(folder, "--versus", notAnAssembly);

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: --versus: '{notAnAssembly}' cannot be loaded as an analyzer assembly (BadImageFormatException: ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error: --versus takes the path of a GradientGuard.Analyzers.dll.", "{0}", "--versus")]
    [InlineData("error: --versus: no file '{0}/missing.dll'.", "{0}", "--versus", "{0}/missing.dll")]
    [InlineData("error: '{0}/missing' is not a folder.", "{0}/missing")]
    [InlineData("error: '{0}' holds no .cs file.", "{0}")]
    [InlineData("error: --runs takes a whole number from 0 to 100.", "{0}", "--runs", "many")]
    [InlineData("error: unexpected argument '--fast'.", "{0}", "--fast")]
    [InlineData("error: --only takes rule ids, comma-separated (GG0003,GG0001).", "{0}", "--only")]
    [InlineData("error: --only takes rule ids, comma-separated (GG0003,GG0001).", "{0}", "--only", ", ")]
    [InlineData("error: --only: no rule has the id 'GG0042'.", "{0}", "--only", "GG0003,GG0042")]
    [InlineData("error: no FOLDER given.")]
    [InlineData("error: --keystroke measures the rules' telemetry per keystroke: not with --wall or --cpu.", "{0}", "--keystroke", "--wall")]
    [InlineData("error: --keystroke needs a timed run after the first (--runs 1 or more).", "{0}", "--keystroke", "--runs", "0")]
    public void Bad_arguments_are_refused_with_a_clear_error_and_the_usage(string expected, params string[] arguments)
    {
        var (exitCode, output) = Run(arguments.Select(a => string.Format(System.Globalization.CultureInfo.InvariantCulture, a, folder)).ToArray());

        Assert.Equal(1, exitCode);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, folder), output, StringComparison.Ordinal);
        Assert.Contains("usage: GradientGuard.RealCode FOLDER", output, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) Run(params string[] arguments) =>
        DotnetCli.Run(Path.GetTempPath(), new[] { ToolFile("GradientGuard.RealCode.dll") }.Concat(arguments).ToArray());

    // A file of the tool's build output.
    private static string ToolFile(string name)
    {
        var metadata = typeof(RealCodeCommandTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value ?? "");
        return Path.Combine(metadata["RepositoryRoot"], "tools", "GradientGuard.RealCode", "bin", metadata["Configuration"], "net10.0", name);
    }
}
