using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The gradientguard tool as users get it: installed from the packed GradientGuard.Tool package into a tool path, run
/// on real logs the demo writes (a vanishing Sigmoid MLP and its healthy ReLU twin).
/// </summary>
public sealed class ToolTests : IClassFixture<InstalledTool>
{
    private readonly InstalledTool tool;

    public ToolTests(InstalledTool tool) => this.tool = tool;

    [Fact]
    public void Help_lists_the_three_verbs()
    {
        var (exitCode, output) = tool.Run("--help");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"report <logs>", output);
        Assert.Matches(@"summary <logs>", output);
        Assert.Matches(@"watch <log>", output);
    }

    [Fact]
    public void Report_writes_a_self_contained_html_report_of_each_run()
    {
        string path = Path.Combine(tool.Folder, "report-" + Guid.NewGuid().ToString("N") + ".html");

        var (exitCode, output) = tool.Run("report", tool.Log("sigmoid-mlp"), tool.Log("relu-mlp"), "-o", path);

        Assert.True(exitCode == 0, output);
        Assert.Contains(Path.GetFullPath(path), output, StringComparison.Ordinal);
        var sections = Sections(path);
        Assert.Equal(new[] { "run-sigmoid-mlp", "run-relu-mlp" }, sections.Select(s => (string?)s.Attribute("id")));
        Assert.All(sections, s => Assert.Equal(2, s.Descendants().Count(e => e.Name.LocalName == "svg")));
        Assert.Contains("vanishing", sections[0].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_prints_the_verdict_table_and_every_diagnostic()
    {
        var (exitCode, output) = tool.Run("summary", tool.Log("sigmoid-mlp"), tool.Log("relu-mlp"));

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"│ sigmoid-mlp\s+│ vanishing\s+│ step \d+\s+│", output);
        Assert.Matches(@"│ relu-mlp\s+│ healthy\s+│ -\s+│", output);
        Assert.Matches(@"(?s)! Vanishing at step \d+ in fc1, .*Cause: .*Fix: ", output); // wrapped at 160 columns
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal); // redirected: plain text
    }

    [Fact]
    public void Bad_lines_are_named_and_skipped_and_every_valid_line_still_counts()
    {
        var lines = File.ReadAllLines(tool.Log("sigmoid-mlp")).ToList();
        int checks = lines.Count(l => l.Contains("\"type\":\"check\"", StringComparison.Ordinal));
        lines.Insert(1, """{"type":"check","step":""");                 // line 2: cut off mid-line
        lines.Insert(2, """{"type":"diagnostic","step":3,"kind":"Vanishing"}"""); // line 3: no ruleId
        string broken = Path.Combine(tool.Folder, "broken-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(broken, lines);
        string report = Path.ChangeExtension(broken, ".html");

        var (summaryExit, summary) = tool.Run("summary", broken);
        var (reportExit, reportOutput) = tool.Run("report", broken, "-o", report);

        Assert.True(summaryExit == 1, summary);
        Assert.Contains($"{broken}, line 2: not JSON", summary, StringComparison.Ordinal);
        Assert.Contains($"{broken}, line 3: no \"ruleId\" property", summary, StringComparison.Ordinal);
        Assert.Matches(@"│ broken-\w+\s+│ vanishing\s+│", summary);
        Assert.Contains($"{checks} checks", summary.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(reportExit == 1, reportOutput);
        Assert.Contains("line 2", reportOutput, StringComparison.Ordinal);
        Assert.Single(Sections(report));
    }

    [Fact]
    public void A_missing_log_is_an_error_and_writes_nothing()
    {
        string report = Path.Combine(tool.Folder, "never-" + Guid.NewGuid().ToString("N") + ".html");

        var (exitCode, output) = tool.Run("report", tool.Log("sigmoid-mlp"), "no-such.jsonl", "-o", report);

        Assert.Equal(2, exitCode);
        Assert.Contains("no-such.jsonl: no such log file", output, StringComparison.Ordinal);
        Assert.False(File.Exists(report));
        Assert.Equal(2, tool.Run("summary").ExitCode); // no log at all: a usage error
        var (unknownCode, unknown) = tool.Run("summary", "--bogus", tool.Log("sigmoid-mlp"));
        Assert.Equal(2, unknownCode);
        Assert.Contains("unknown option '--bogus'", unknown, StringComparison.Ordinal);
    }

    /// <summary>
    /// A training in progress: the tool starts on the first lines of a log, the rest is appended while it runs, and
    /// SIGINT (Ctrl+C) stops it with the verdict of everything that arrived. Linux and macOS (kill -INT).
    /// </summary>
    [Fact]
    public void Watch_shows_lines_as_they_arrive_and_stops_on_ctrl_c()
    {
        var lines = File.ReadAllLines(tool.Log("sigmoid-mlp"));
        string live = Path.Combine(tool.Folder, "live-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(live, lines.Take(2)); // steps 1 and 2, before the vanishing diagnostic
        using var process = Process.Start(DotnetCli.Start(tool.Command, tool.Folder, "watch", live))!;
        var printed = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) printed.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) printed.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            WaitFor(printed, "step 2  loss");
            Assert.DoesNotContain(printed, l => l.StartsWith("! ", StringComparison.Ordinal));

            File.AppendAllLines(live, lines.Skip(2));
            WaitFor(printed, $"step {lines.Count(l => l.Contains("\"type\":\"check\"", StringComparison.Ordinal))}  loss");
            Assert.Contains(printed, l => l.StartsWith("! Vanishing at step", StringComparison.Ordinal));

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                kill.WaitForExit();
            Assert.True(process.WaitForExit(60_000), "watch did not stop on SIGINT");
            process.WaitForExit(); // drains the output events
            Assert.Equal(0, process.ExitCode);
            string output = string.Join("\n", printed);
            Assert.Contains($"Stopped after {lines.Length - 1} checks and 1 diagnostic.", output, StringComparison.Ordinal);
            Assert.Matches(@"│ live-\w+\s+│ vanishing\s+│", output);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    /// <summary>
    /// An unattended watch (a CI job, a detached terminal): --until-idle stops it once the log has stopped growing, with
    /// the verdict; early signs are marked apart from warnings. A bad value is a usage error.
    /// </summary>
    [Fact]
    public void Watch_until_idle_stops_by_itself_once_the_log_stops_growing()
    {
        var lines = File.ReadAllLines(tool.Log("sigmoid-mlp")).ToList();
        int checks = lines.Count(l => l.Contains("\"type\":\"check\"", StringComparison.Ordinal));
        lines.Insert(1, """{"type":"diagnostic","step":1,"kind":"UpdateTooSmall","severity":"Info","ruleId":"","layers":["fc1"],"cause":"fc1 barely moves","advice":"raise its learning rate"}""");
        string done = Path.Combine(tool.Folder, "done-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllText(done, string.Join("\n", lines)); // the last line without its end of line still counts

        var (exitCode, output) = tool.Run("watch", done, "--until-idle", "1.5");

        Assert.True(exitCode == 0, output);
        Assert.Contains("The log has not grown for 1.5 s; stopping.", output, StringComparison.Ordinal);
        Assert.Contains($"Stopped after {checks} checks and 2 diagnostics.", output, StringComparison.Ordinal);
        Assert.Contains("i Early sign: UpdateTooSmall at step 1 in fc1", output, StringComparison.Ordinal);
        Assert.Matches(@"! Vanishing at step \d+", output);
        Assert.Matches(@"│ done-\w+\s+│ vanishing\s+│", output); // the warning decides the verdict, not the earlier early sign

        var (badCode, bad) = tool.Run("watch", done, "--until-idle", "0");
        Assert.Equal(2, badCode);
        Assert.Contains("--until-idle must be a positive number of seconds, was 0.", bad, StringComparison.Ordinal);
    }

    // Waits for a printed line that starts with the text; a guard against hanging, not a timed assertion.
    private static void WaitFor(ConcurrentQueue<string> printed, string start)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!printed.Any(l => l.StartsWith(start, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no line starting '{start}' in:\n{string.Join("\n", printed)}");
            System.Threading.Thread.Sleep(100);
        }
    }

    private static System.Collections.Generic.List<XElement> Sections(string path)
    {
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        XNamespace xhtml = "http://www.w3.org/1999/xhtml";
        return XDocument.Load(reader).Descendants(xhtml + "section").ToList();
    }
}

/// <summary>The tool installed from its packed package into a temporary tool path, and real logs from the demo.</summary>
public sealed class InstalledTool : IDisposable
{
    private readonly PackedPackages packages = new();

    public InstalledTool()
    {
        Directory.CreateDirectory(Folder);
        string toolPath = Path.Combine(Folder, "tools");
        var (installExit, install) = DotnetCli.Run(Folder, "tool", "install", "--tool-path", toolPath, "--add-source", packages.OutputDirectory,
            "GradientGuard.Tool", "--version", packages.Tool.Value("version")!);
        if (installExit != 0)
            throw new InvalidOperationException($"dotnet tool install failed:\n{install}");
        Command = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "gradientguard.exe" : "gradientguard");

        var (demoExit, demo) = DotnetCli.Run(Folder, "run", "--project", Path.Combine(packages.RepositoryRoot, "samples", "GradientGuard.Demo"),
            "-c", packages.Configuration, "--no-build", "--", "--scenario", "sigmoid-mlp", "--scenario", "relu-mlp", "--steps", "12", "--out", Path.Combine(Folder, "logs"));
        if (demoExit != 0)
            throw new InvalidOperationException($"the demo did not write the expected logs:\n{demo}");
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "gradientguard-tool-" + Guid.NewGuid().ToString("N"));

    /// <summary>The installed command (the tool path's gradientguard shim).</summary>
    public string Command { get; }

    public string Log(string run) => Path.Combine(Folder, "logs", run + ".jsonl");

    public (int ExitCode, string Output) Run(params string[] arguments) => DotnetCli.RunProgram(Command, Folder, arguments);

    public void Dispose()
    {
        packages.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
