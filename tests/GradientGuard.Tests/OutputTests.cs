using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Text.Json;
using GradientGuard.Tests.Support;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

[Collection(TorchSharpCollection.Name)]
public sealed class OutputTests
{
    [Fact]
    public void Each_diagnostic_is_a_structured_log_event_with_its_fields()
    {
        var logger = new RecordingLogger();
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { Logger = logger });
        PoisonAndCheck(model, monitor, step: 1, poison: false);
        PoisonAndCheck(model, monitor, step: 2, poison: false);
        PoisonAndCheck(model, monitor, step: 3);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("GradientIssue", entry.EventId.Name);
        Assert.Equal(GradientIssueKind.NonFinite, entry.Fields["Kind"]);
        Assert.Equal(3L, entry.Fields["Step"]);
        Assert.Equal("0", entry.Fields["Layers"]);
        Assert.Equal("GG0003", entry.Fields["RuleId"]);
        Assert.Contains("NaN/Infinity in the gradients of '0'", (string)entry.Fields["Cause"]!, StringComparison.Ordinal);
        Assert.StartsWith("NonFinite gradients at step 3 in 0", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_GradientGuard_meter_publishes_layer_norms_and_counts_diagnostics_to_any_listener()
    {
        var layerNorms = new List<(double Value, string Layer)>();
        long diagnostics = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GradientMonitor.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "gradientguard.layer.gradient.norm")
                layerNorms.Add((value, (string)tags.ToArray().Single(t => t.Key == "gradientguard.layer").Value!));
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "gradientguard.diagnostics")
                diagnostics += value;
        });
        listener.Start();

        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        var report = PoisonAndCheck(model, monitor, step: 1, poison: false);
        listener.RecordObservableInstruments(); // the norms are gauges: read when a listener collects
        PoisonAndCheck(model, monitor, step: 2);

        Assert.Equal(new[] { "0", "2", "4" }, layerNorms.Select(m => m.Layer));
        Assert.Equal(report.Layers.Select(l => l.GradientNorm), layerNorms.Select(m => m.Value));
        Assert.Equal(1, diagnostics);
    }

    [Fact]
    public void Json_lines_log_has_a_line_per_check_and_per_diagnostic_readable_while_training()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gg-{Guid.NewGuid():N}", "run.jsonl");
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using (var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path }))
        {
            PoisonAndCheck(model, monitor, step: 1, poison: false);
            PoisonAndCheck(model, monitor, step: 2);

            // Flushed line by line: readable before the monitor is disposed (a crash loses nothing).
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var lines = new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

            Assert.Equal(new[] { "check", "check", "diagnostic" }, lines.Select(l => l.GetProperty("type").GetString()));
            Assert.Equal(1, lines[0].GetProperty("step").GetInt64());
            Assert.Equal(new[] { "0", "2", "4" }, lines[0].GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
            Assert.True(lines[0].GetProperty("globalNorm").GetDouble() > 0);
            Assert.Equal("NaN", lines[1].GetProperty("globalNorm").GetString());
            Assert.Equal(1, lines[1].GetProperty("layers")[0].GetProperty("nonFinite").GetInt64());
            Assert.Equal("NonFinite", lines[2].GetProperty("kind").GetString());
            Assert.Equal("GG0003", lines[2].GetProperty("ruleId").GetString());
            Assert.Equal(2, lines[2].GetProperty("step").GetInt64());
        }
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void A_run_log_whose_last_line_was_cut_short_loads_and_says_so()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"gg-runlog-{Guid.NewGuid():N}");
        string path = Path.Combine(folder, "cut.jsonl");
        try
        {
            torch.manual_seed(19);
            using (var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1))
            using (var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = path }))
            using (var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2))
                Training.Run(model, monitor, optimizer, _ => Training.Regression(8, 4), steps: 3);
            string whole = File.ReadLines(path).First();
            File.AppendAllText(path, whole[..(whole.Length / 2)]); // the disk filled mid-line

            var log = GradientGuard.Reporting.RunLog.Load(path);

            Assert.Equal(3, log.Checks.Count);
            Assert.Contains("line 4", log.TruncatedLastLine, StringComparison.Ordinal);

            // Only the last line may be cut: the same text before a complete line is an error.
            File.AppendAllText(path, Environment.NewLine + whole + Environment.NewLine);
            Assert.Throws<InvalidDataException>(() => GradientGuard.Reporting.RunLog.Load(path));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TensorBoard_event_file_records_layer_norms_and_diagnostics()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"gg-tb-{Guid.NewGuid():N}");
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using (var monitor = model.MonitorGradients(new GradientMonitorOptions { TensorBoardLogDir = folder }))
        {
            PoisonAndCheck(model, monitor, step: 1, poison: false);
            PoisonAndCheck(model, monitor, step: 2);
        }

        var events = Directory.GetFiles(folder, "events.out.tfevents.*", SearchOption.AllDirectories);
        byte[] content = File.ReadAllBytes(Assert.Single(events));
        string text = System.Text.Encoding.ASCII.GetString(content);
        Assert.Contains("gradient_norm/global", text, StringComparison.Ordinal);
        Assert.Contains("gradient_norm/0", text, StringComparison.Ordinal);
        Assert.Contains("gradient_norm/4", text, StringComparison.Ordinal);
        Assert.Contains("diagnostics", text, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void DiagnosticRaised_fires_for_each_diagnostic_and_the_history_keeps_them()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);
        using var monitor = model.MonitorGradients();
        var seen = new List<GradientDiagnostic>();
        monitor.DiagnosticRaised += (_, d) => seen.Add(d);

        PoisonAndCheck(model, monitor, step: 1);
        PoisonAndCheck(model, monitor, step: 2);             // the same episode: not raised again
        PoisonAndCheck(model, monitor, step: 3, poison: false);
        PoisonAndCheck(model, monitor, step: 4);             // a new episode

        Assert.Equal(new long[] { 1, 4 }, seen.Select(d => d.Step));
        Assert.Equal(seen, monitor.Diagnostics);
    }

    private static GradientReport PoisonAndCheck(Sequential model, GradientMonitor monitor, int step, bool poison = true)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        model.call(randn(2, 4)).sum().backward();
        if (poison)
            ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
        var report = monitor.Check();
        Assert.Equal(step, report.Step);
        return report;
    }
}
