using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The README's main command, run exactly as written (from a scratch folder, with the project path made absolute):
/// five verdicts, a well-formed self-contained HTML report with a chart per run, JSON Lines logs and TensorBoard events.
/// </summary>
public sealed class DemoEndToEndTests : IClassFixture<PackedPackages>
{
    private static readonly (string Run, string Verdict)[] Expected =
    {
        ("sigmoid-mlp", "vanishing"), ("relu-mlp", "healthy"), ("plain-rnn", "exploding"), ("gru-clipped", "healthy"), ("relu-high-lr", "dead units"),
    };

    private readonly PackedPackages packages;

    public DemoEndToEndTests(PackedPackages packages) => this.packages = packages;

    [Fact]
    public void The_readme_main_command_prints_the_five_verdicts_and_writes_report_logs_and_events()
    {
        string command = File.ReadLines(Path.Combine(packages.RepositoryRoot, "README.md"))
            .Single(l => l.StartsWith("dotnet run --project samples/GradientGuard.Demo", StringComparison.Ordinal));
        var arguments = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(a => a == "samples/GradientGuard.Demo" ? Path.Combine(packages.RepositoryRoot, a) : a)
            .ToArray();
        string folder = Path.Combine(Path.GetTempPath(), "gradientguard-demo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var (exitCode, output) = DotnetCli.Run(folder, arguments);

            Assert.True(exitCode == 0, output);
            Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal); // redirected: plain text
            foreach (var (run, verdict) in Expected)
                Assert.Matches($@"│ {run}\s+│ {verdict}\s+│ {verdict}\s+│", output);

            string runs = Path.Combine(folder, "runs");
            AssertReport(Path.Combine(runs, "report.html"));
            foreach (var (run, _) in Expected)
            {
                var lines = File.ReadAllLines(Path.Combine(runs, run + ".jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                Assert.Contains(lines, l => l.GetProperty("type").GetString() == "check");
                var events = Directory.GetFiles(Path.Combine(runs, "tensorboard", run), "events.out.tfevents.*");
                Assert.True(new FileInfo(Assert.Single(events)).Length > 0);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertReport(string path)
    {
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var html = XDocument.Load(reader); // throws unless well-formed
        XNamespace xhtml = "http://www.w3.org/1999/xhtml";
        var sections = html.Descendants(xhtml + "section").ToList();
        Assert.Equal(Expected.Select(e => "run-" + e.Run), sections.Select(s => (string?)s.Attribute("id")));
        Assert.All(sections, s => Assert.Equal(2, s.Descendants().Count(e => e.Name.LocalName == "svg")));
        string text = File.ReadAllText(path);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/", "", StringComparison.Ordinal), StringComparison.Ordinal);
        // Self-contained: the only outside addresses are the links of the diagnostics to their rule pages.
        string rulePages = "<a href=\"https://github.com/gradientguard/gradientguard/blob/main/docs/rules/GG";
        Assert.Equal(
            System.Text.RegularExpressions.Regex.Count(text, "https://"),
            System.Text.RegularExpressions.Regex.Count(text, System.Text.RegularExpressions.Regex.Escape(rulePages)));
        Assert.Contains(rulePages, text, StringComparison.Ordinal);
    }
}
