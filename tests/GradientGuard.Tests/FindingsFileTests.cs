using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GradientGuard.Output;
using GradientGuard.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// The findings file: what training observed, with the model's type, the layers and the training-loop call, written
/// atomically, merged across runs, bounded, and never at the cost of the run or a diagnostic.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class FindingsFileTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"gg-findings-{Guid.NewGuid():N}");

    public FindingsFileTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string FindingsPath => Path.Combine(folder, "obj", "gradientguard.findings.json");

    private static int Line([CallerLineNumber] int line = 0) => line;

    private static JsonElement[] Findings(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("gradientguard-findings", document.RootElement.GetProperty("format").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("version").GetInt32());
        return document.RootElement.GetProperty("findings").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    // A deep Sigmoid MLP trained with a hand-written loop: vanishing within a few steps. Returns the line of the Check call.
    private static int TrainVanishing(Sequential model, GradientMonitor monitor, int steps = 12)
    {
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
        int line = 0;
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(64, 16);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            line = Line() + 1;
            monitor.Check(loss);
            optimizer.step();
        }
        return line;
    }

    [Fact]
    public void A_vanishing_run_writes_the_model_type_the_layers_the_evidence_and_the_check_call()
    {
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = FindingsPath });

        int line = TrainVanishing(model, monitor);

        var vanishing = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.Vanishing);
        var finding = Assert.Single(Findings(FindingsPath));
        Assert.Equal(typeof(Sequential).AssemblyQualifiedName, finding.GetProperty("modelType").GetString());
        Assert.Equal("Vanishing", finding.GetProperty("kind").GetString());
        Assert.Equal("Warning", finding.GetProperty("severity").GetString());
        Assert.Equal("GG0001", finding.GetProperty("rule").GetString());
        Assert.Equal(vanishing.Step, finding.GetProperty("step").GetInt64());
        Assert.Equal(vanishing.Layers, finding.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal("TorchSharp.Modules.Linear", finding.GetProperty("layers")[0].GetProperty("type").GetString());
        Assert.Equal(19, finding.GetProperty("children").GetArrayLength());
        Assert.Equal("TorchSharp.Modules.Sigmoid", finding.GetProperty("children")[1].GetProperty("type").GetString());
        Assert.Equal(vanishing.Value, finding.GetProperty("value").GetDouble());
        Assert.Equal(vanishing.Threshold, finding.GetProperty("threshold").GetDouble());
        Assert.Equal(vanishing.Measure, finding.GetProperty("measure").GetString());
        Assert.Equal(vanishing.Cause, finding.GetProperty("cause").GetString());
        Assert.Equal(vanishing.Advice, finding.GetProperty("advice").GetString());
        Assert.Equal(32, finding.GetProperty("runId").GetString()!.Length);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(finding.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        Assert.Equal(ThisFile(), finding.GetProperty("callSite").GetProperty("file").GetString());
        Assert.Equal(line, finding.GetProperty("callSite").GetProperty("line").GetInt32());
        Assert.Equal(new[] { "gradientguard.findings.json" }, Directory.GetFiles(Path.GetDirectoryName(FindingsPath)!).Select(Path.GetFileName)); // no temporary file left
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    [Fact]
    public void A_guarded_optimizer_records_its_WithMonitor_call_and_NaN_becomes_a_non_finite_finding()
    {
        torch.manual_seed(2);
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = FindingsPath, SkipNonFiniteSteps = true });
        int line = Line() + 1;
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2).WithMonitor(monitor);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Training.Regression(16, 8);
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            if (step == 1)
                ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
            optimizer.step();
        }

        var finding = Assert.Single(Findings(FindingsPath));
        Assert.Equal("NonFinite", finding.GetProperty("kind").GetString());
        Assert.Equal("0", finding.GetProperty("layers")[0].GetProperty("name").GetString());
        Assert.Equal(line, finding.GetProperty("callSite").GetProperty("line").GetInt32());
        Assert.Equal(ThisFile(), finding.GetProperty("callSite").GetProperty("file").GetString());
    }

    [Fact]
    public void Runs_merge_a_repeated_finding_replaces_the_older_and_the_file_keeps_the_newest_hundred()
    {
        // 100 findings of other models, the oldest first: the file is full.
        Directory.CreateDirectory(Path.GetDirectoryName(FindingsPath)!);
        var old = Enumerable.Range(0, FindingsFile.MaxFindings).Select(i =>
            $"{{\"modelType\": \"Other{i}, Elsewhere\", \"kind\": \"Exploding\", \"layers\": [], \"time\": \"2026-01-01T00:00:{i % 60:00}.{i:000}Z\", \"futureField\": {i}}}");
        File.WriteAllText(FindingsPath, "{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [" + string.Join(",", old) + "]}");

        string[] runIds = new string[2];
        for (int run = 0; run < 2; run++)
        {
            torch.manual_seed(1);
            using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8);
            using var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = FindingsPath });
            TrainVanishing(model, monitor);
            var findings = Findings(FindingsPath);
            Assert.Equal(FindingsFile.MaxFindings, findings.Length);
            Assert.DoesNotContain(findings, f => f.GetProperty("modelType").GetString() == "Other0, Elsewhere"); // the oldest went
            runIds[run] = Assert.Single(findings, f => f.GetProperty("kind").GetString() == "Vanishing").GetProperty("runId").GetString()!;
            Assert.Equal(5, findings.Single(f => f.GetProperty("modelType").GetString() == "Other5, Elsewhere").GetProperty("futureField").GetInt32()); // kept as written
        }
        Assert.NotEqual(runIds[0], runIds[1]); // the second run's finding replaced the first's
    }

    [Theory]
    [InlineData("{\"name\": \"not ours\"}")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [")]
    [InlineData("{\"format\": \"gradientguard-findings\", \"version\": 99, \"findings\": []}")]
    public void A_file_that_is_not_a_findings_file_it_can_merge_is_left_alone_reported_once_and_the_run_goes_on(string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FindingsPath)!);
        File.WriteAllText(FindingsPath, content);
        torch.manual_seed(1);
        using var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = FindingsPath });

        TrainVanishing(model, monitor, steps: 14);

        Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.Vanishing);
        var failure = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.SinkFailure);
        Assert.Contains(FindingsPath, failure.Measure, StringComparison.Ordinal);
        Assert.Contains("InvalidDataException", failure.Cause, StringComparison.Ordinal);
        Assert.Equal(14, monitor.Step);
        Assert.Equal(content, File.ReadAllText(FindingsPath));
    }

    [Fact]
    public void Null_turns_it_off_and_the_default_is_the_path_the_build_recorded_in_the_models_assembly()
    {
        torch.manual_seed(1);
        using (var model = Models.DeepSigmoidMlp(inputs: 16, width: 32, hiddenLayers: 8))
        using (var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = null }))
            TrainVanishing(model, monitor);
        Assert.False(File.Exists(FindingsPath));

        // No build recorded a path for TorchSharp's Sequential or the test host: no default, nothing written.
        Assert.Null(FindingsFile.DefaultPath(typeof(Sequential)));

        var attribute = new CustomAttributeBuilder(typeof(AssemblyMetadataAttribute).GetConstructor(new[] { typeof(string), typeof(string) })!, new object[] { FindingsFile.MetadataKey, FindingsPath });
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Models" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.Run, new[] { attribute });
        var type = assembly.DefineDynamicModule("Models").DefineType("Net", TypeAttributes.Public).CreateType();
        Assert.Equal(FindingsPath, FindingsFile.DefaultPath(type));

        // A build deployed to a machine without its project folder records a path that leads nowhere: no default.
        var elsewhere = new CustomAttributeBuilder(typeof(AssemblyMetadataAttribute).GetConstructor(new[] { typeof(string), typeof(string) })!,
            new object[] { FindingsFile.MetadataKey, Path.Combine(folder, "no-such-project", "obj", "gradientguard.findings.json") });
        var deployed = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Models" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.Run, new[] { elsewhere });
        Assert.Null(FindingsFile.DefaultPath(deployed.DefineDynamicModule("Models").DefineType("Net", TypeAttributes.Public).CreateType()));
    }

    private static GradientDiagnostic Exploding(string layer) => new()
    {
        Kind = GradientIssueKind.Exploding, Step = 3, Layers = new[] { layer }, Value = 2.5e6, Threshold = 1e3,
        Measure = "global gradient norm", Cause = "a spike", Advice = "clip gradients (quick fix of GG0003)", RuleId = "GG0003",
    };

    private string[] LeftNextToIt() => Directory.GetFiles(Path.GetDirectoryName(FindingsPath)!).Select(Path.GetFileName).Where(n => n != "gradientguard.findings.json").ToArray()!;

    [Fact]
    public void Writers_on_many_threads_at_once_lose_no_finding_and_the_file_stays_valid_JSON()
    {
        // Each writer is its own sink with its own model, as the ranks of a DDP run are: they share nothing but the file.
        const int writers = 8, each = 6;
        var models = Enumerable.Range(0, writers).Select(_ => nn.Linear(2, 2)).ToArray();
        using var start = new System.Threading.Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new System.Threading.Thread(() =>
        {
            using var sink = new FindingsFile(FindingsPath, models[w]);
            start.SignalAndWait();
            for (int i = 0; i < each; i++)
                sink.WriteDiagnostic(Exploding($"rank{w}.layer{i}"));
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();

        var layers = Findings(FindingsPath).Select(f => f.GetProperty("layers")[0].GetProperty("name").GetString()).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, each).Select(i => $"rank{w}.layer{i}")).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, layers);
        Assert.Empty(LeftNextToIt()); // no lock file, no temporary file
        foreach (var model in models)
            model.Dispose();
    }

    [Fact]
    public void A_writer_waits_for_the_turn_another_process_holds_and_keeps_both_findings()
    {
        using var model = nn.Linear(2, 2);
        using var sink = new FindingsFile(FindingsPath, model);
        System.Threading.Thread writer;
        using (var other = FindingsFileLock.Acquire(FindingsPath))
        {
            Assert.True(other.IsHeld);
            // The other process read the file (none yet) and merges slowly; meanwhile this process's finding comes.
            writer = new System.Threading.Thread(() => sink.WriteDiagnostic(Exploding("fc1")));
            writer.Start();
            System.Threading.Thread.Sleep(200);
            File.WriteAllText(FindingsPath, "{\"format\": \"gradientguard-findings\", \"version\": 1, \"findings\": [{\"modelType\": \"Other, Elsewhere\", \"kind\": \"Vanishing\", \"layers\": [], \"time\": \"2026-01-01T00:00:00.000Z\"}]}");
        }
        writer.Join();

        var findings = Findings(FindingsPath);
        Assert.Equal(new[] { "Other, Elsewhere", typeof(Linear).AssemblyQualifiedName }, findings.Select(f => f.GetProperty("modelType").GetString()));
        Assert.Empty(LeftNextToIt());
    }

    [Fact]
    public void A_lock_left_by_a_writer_that_died_is_removed_and_one_held_too_long_is_waited_for_only_so_long()
    {
        using var model = nn.Linear(2, 2);
        string lockFile = FindingsFileLock.PathOf(FindingsPath);
        Directory.CreateDirectory(Path.GetDirectoryName(FindingsPath)!);
        File.WriteAllText(lockFile, "");
        File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow - FindingsFileLock.StaleAfter - TimeSpan.FromMinutes(1));
        using (var sink = new FindingsFile(FindingsPath, model))
            sink.WriteDiagnostic(Exploding("fc1"));
        Assert.Single(Findings(FindingsPath));
        Assert.Empty(LeftNextToIt());

        // A live writer that keeps its turn (fresh lock file): the finding is still written, after the bounded wait.
        using (var stuck = FindingsFileLock.Acquire(FindingsPath))
        {
            Assert.True(stuck.IsHeld);
            using var sink = new FindingsFile(FindingsPath, model);
            sink.WriteDiagnostic(Exploding("fc2"));
            Assert.Equal(2, Findings(FindingsPath).Length);
            Assert.True(File.Exists(lockFile)); // the live writer's turn was not taken from it
        }
    }

    [Fact]
    public void A_sharing_violation_that_passes_is_retried_and_one_that_stays_fails_after_a_few_attempts()
    {
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "shared.bin");
        File.WriteAllText(file, "x");
        int attempts = 0;
        var blocker = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        TransientIO.Retry(() =>
        {
            if (++attempts == 2)
                blocker.Dispose(); // the other holder lets go between the attempts
            using var exclusive = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        });
        Assert.Equal(2, attempts);

        attempts = 0;
        using var keeps = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        Assert.ThrowsAny<IOException>(() => TransientIO.Retry(() =>
        {
            attempts++;
            using var exclusive = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }));
        Assert.Equal(TransientIO.MaxAttempts, attempts);
    }
}
