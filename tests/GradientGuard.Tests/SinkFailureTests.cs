using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using GradientGuard.Tests.Support;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>A log sink that fails never costs a diagnostic or a training run; an Attach that fails leaves nothing behind.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SinkFailureTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"gg-sinks-{Guid.NewGuid():N}");

    public SinkFailureTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("json")]
    [InlineData("tensorboard")]
    public void A_failed_attach_removes_its_activation_hooks_and_closes_the_json_lines_file(string failing)
    {
        // Root ignores permissions, so the folders cannot be made read-only: a file stands where a folder is expected.
        string notAFolder = Path.Combine(folder, "not-a-folder");
        File.WriteAllText(notAFolder, "");
        string jsonPath = Path.Combine(failing == "json" ? notAFolder : folder, "run.jsonl");
        var options = new GradientMonitorOptions { JsonLinesPath = jsonPath, TensorBoardLogDir = Path.Combine(failing == "json" ? folder : notAFolder, "tb") };
        using var model = Models.DeepSigmoidMlp(inputs: 4, width: 4, hiddenLayers: 1);
        using var x = randn(2, 4);

        Assert.ThrowsAny<IOException>(() => model.MonitorGradients(options));

        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.call(x).Dispose(); // no hook may record a reading
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.DoesNotContain(OpenFiles(), target => target == Path.GetFullPath(jsonPath));
    }

    [Fact]
    public void A_full_disk_under_the_json_lines_log_is_reported_once_and_training_goes_on()
    {
        torch.manual_seed(81);
        var logger = new RecordingLogger();
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = "/dev/full", Logger = logger }); // writes fail with ENOSPC
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 8), steps: 8, afterBackward: step =>
        {
            if (step == 4)
                ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
        });

        Assert.Equal(8, reports.Count);
        var failure = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.SinkFailure);
        Assert.Equal(1, failure.Step);
        Assert.Contains("/dev/full", failure.Measure, StringComparison.Ordinal);
        Assert.Contains("IOException", failure.Cause, StringComparison.Ordinal);
        Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.NonFinite && d.Step == 5);
        Assert.Equal(monitor.Diagnostics.Select(d => d.Kind), logger.Entries.Select(e => (GradientIssueKind)e.Fields["Kind"]!));
        Assert.Equal(LogLevel.Error, logger.Entries[0].Level);
        monitor.Dispose(); // closing the failed file does not throw either
    }

    [Fact]
    public void Fail_fast_acts_and_the_diagnostic_is_recorded_when_the_json_lines_log_cannot_be_written()
    {
        var options = new GradientMonitorOptions { JsonLinesPath = "/dev/full" };
        options.FailFastOn.Add(GradientIssueKind.NonFinite);
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(options);
        using var x = randn(2, 4);
        model.call(x).sum().backward();
        using (var grad = ((Linear)model[0]).weight.grad!)
            grad[0, 0] = float.NaN;

        var error = Assert.Throws<GradientGuardException>(() => monitor.Check());

        Assert.Equal(GradientIssueKind.NonFinite, error.Diagnostic.Kind);
        Assert.Contains(error.Diagnostic, monitor.Diagnostics);
        Assert.Contains(monitor.Diagnostics, d => d.Kind == GradientIssueKind.SinkFailure);
    }

    [Fact]
    public void A_throwing_logger_is_reported_in_the_json_lines_log_and_costs_no_diagnostic()
    {
        string path = Path.Combine(folder, "run.jsonl");
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using (var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path, Logger = new RecordingLogger(new IOException("log disk full")) }))
        {
            for (int step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                model.zero_grad();
                model.call(randn(2, 4)).sum().backward();
                if (step == 1)
                    ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
                monitor.Check();
            }
            Assert.Equal(new[] { GradientIssueKind.NonFinite, GradientIssueKind.SinkFailure }, monitor.Diagnostics.Select(d => d.Kind));
        }

        var kinds = File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("type").GetString() == "diagnostic").Select(l => l.GetProperty("kind").GetString());
        Assert.Equal(new[] { "NonFinite", "SinkFailure" }, kinds);
    }

    [Fact]
    public void A_tensorboard_folder_that_disappears_during_training_is_reported_once()
    {
        torch.manual_seed(82);
        string tensorBoard = Path.Combine(folder, "tb");
        using var model = Models.ReluMlp(inputs: 8, width: 16, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { TensorBoardLogDir = tensorBoard });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        var reports = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 8), steps: 6, afterBackward: step =>
        {
            if (step == 2)
            {
                Directory.Delete(tensorBoard, recursive: true);
                File.WriteAllText(tensorBoard, "");
            }
        });

        Assert.Equal(6, reports.Count);
        Assert.Equal(3, Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.SinkFailure).Step);
    }

    [Fact]
    public void A_second_monitor_cannot_write_to_a_json_lines_path_that_another_writes_to()
    {
        string path = Path.Combine(folder, "shared.jsonl");
        using var first = nn.Linear(2, 2);
        using var second = nn.Linear(2, 2);
        using (var writing = first.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path }))
        {
            var error = Assert.ThrowsAny<IOException>(() => second.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = Path.Combine(folder, ".", "shared.jsonl") }));
            Assert.Contains("another GradientMonitor", error.Message, StringComparison.Ordinal);

            using var x = randn(1, 2);
            first.call(x).sum().backward();
            writing.Check();
        }
        Assert.All(File.ReadLines(path), line => JsonDocument.Parse(line).Dispose());

        using var again = second.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path }); // free once the first is disposed
    }

    [Fact]
    public void A_json_lines_path_reached_through_a_symbolic_link_is_the_same_path()
    {
        string path = Path.Combine(folder, "linked.jsonl");
        string linkedFolder = Path.Combine(Path.GetTempPath(), $"gg-link-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(linkedFolder, folder);
        try
        {
            using var first = nn.Linear(2, 2);
            using var second = nn.Linear(2, 2);
            using var writing = first.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path });
            Assert.ThrowsAny<IOException>(() => second.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = Path.Combine(linkedFolder, "linked.jsonl") }));
        }
        finally
        {
            Directory.Delete(linkedFolder);
        }
    }

    [Fact]
    public void A_json_lines_path_is_free_again_once_a_monitor_dropped_without_Dispose_is_collected()
    {
        string path = Path.Combine(folder, "dropped.jsonl");
        using var model = nn.Linear(2, 2);
        AttachAndDrop(model, path);

        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        using var again = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path });
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AttachAndDrop(nn.Module model, string path) =>
        GradientMonitor.Attach(model, new GradientMonitorOptions { JsonLinesPath = path, ProbeActivations = false });

    // The files this process holds open (Linux).
    private static string[] OpenFiles() =>
        new DirectoryInfo("/proc/self/fd").GetFiles().Select(f => f.LinkTarget).Where(t => t is not null).Select(t => t!).ToArray();
}
