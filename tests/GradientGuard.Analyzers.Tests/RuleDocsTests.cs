using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The rule pages' header tables and the README's rule table are generated from the descriptors, the option registry
/// and the code fixes, so they cannot drift from the code. This test fails when a committed block differs from what the
/// generator writes; <c>GRADIENTGUARD_UPDATE_DOCS=1 dotnet test tests/GradientGuard.Analyzers.Tests --filter RuleDocs</c>
/// rewrites the blocks instead.
/// </summary>
public sealed class RuleDocsTests
{
    private const string HeaderStart = "<!-- generated from the descriptors: rule header -->";
    private const string HeaderEnd = "<!-- end of generated rule header -->";
    private const string TableStart = "<!-- generated from the descriptors: rule table -->";
    private const string TableEnd = "<!-- end of generated rule table -->";

    private static bool Update => Environment.GetEnvironmentVariable("GRADIENTGUARD_UPDATE_DOCS") == "1";

    [Theory]
    [MemberData(nameof(RuleCatalogTests.RuleIdList), MemberType = typeof(RuleCatalogTests))]
    public void Each_rule_pages_header_is_what_the_generator_writes(string id)
    {
        string page = Path.Combine(RuleCatalogTests.RepositoryRoot(), "docs", "rules", id + ".md");
        Check(page, HeaderStart, HeaderEnd, Header(id));
    }

    [Fact]
    public void The_readme_rule_table_is_what_the_generator_writes()
    {
        Check(Path.Combine(RuleCatalogTests.RepositoryRoot(), "README.md"), TableStart, TableEnd, Table());
    }

    [Theory]
    [MemberData(nameof(RuleCatalogTests.RuleIdList), MemberType = typeof(RuleCatalogTests))]
    public void Each_option_of_a_rule_is_shown_in_its_configuration_example(string id)
    {
        string text = File.ReadAllText(Path.Combine(RuleCatalogTests.RepositoryRoot(), "docs", "rules", id + ".md"));
        string configuration = text.Substring(text.IndexOf("## Configuration", StringComparison.Ordinal));
        foreach (var option in RuleOptions.All.Where(o => o.RuleId == id))
            Assert.Contains($"{option.Key} = {option.DefaultValue}", configuration, StringComparison.Ordinal);
    }

    private static void Check(string file, string start, string end, string generated)
    {
        string text = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal);
        int from = text.IndexOf(start, StringComparison.Ordinal), to = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, $"{file} lacks the generated block markers '{start}' ... '{end}'");
        string committed = text.Substring(from + start.Length, to - from - start.Length);
        if (Update && committed != generated)
            File.WriteAllText(file, string.Concat(text.AsSpan(0, from + start.Length), generated, text.AsSpan(to)));
        else
            Assert.Equal(generated, committed);
    }

    // # GG0003: Title, then a table of what the code says about the rule.
    private static string Header(string id)
    {
        var descriptors = Descriptors(id);
        var options = RuleOptions.All.Where(o => o.RuleId == id).ToList();
        var text = new StringBuilder("\n");
        text.Append("# ").Append(id).Append(": ").Append(descriptors[0].Title).Append("\n\n");
        text.Append("| | |\n|---|---|\n");
        text.Append("| ID | ").Append(id).Append(" |\n");
        text.Append("| Category | ").Append(descriptors[0].Category).Append(" |\n");
        text.Append("| Severity | ").Append(Severity(descriptors, options)).Append(" |\n");
        text.Append("| Options | ").Append(options.Count == 0 ? "none" : string.Join("<br>", options.Select(o => $"`{o.Key} = {o.DefaultValue}`: {o.Purpose}"))).Append(" |\n");
        text.Append("| Code fix | ").Append(HasFix(id) ? "yes (Fix All: document, project, solution)" : "no").Append(" |\n");
        return text.ToString();
    }

    private static string Table()
    {
        var text = new StringBuilder("\n| Rule | Title | Category | Severity | Quick fix |\n|---|---|---|---|---|\n");
        foreach (string id in RuleCatalogTests.Analyzers().SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().Order(StringComparer.Ordinal))
        {
            var descriptors = Descriptors(id);
            var options = RuleOptions.All.Where(o => o.RuleId == id).ToList();
            text.Append(CultureInfo.InvariantCulture, $"| [{id}](docs/rules/{id}.md) | {descriptors[0].Title} | {descriptors[0].Category.Replace("GradientGuard.", "", StringComparison.Ordinal)} | {Severity(descriptors, options)} | {(HasFix(id) ? "yes" : "no")} |\n");
        }
        return text.ToString();
    }

    // The declared default, and the options that set the severity of some of its reports.
    private static string Severity(IReadOnlyList<DiagnosticDescriptor> descriptors, IReadOnlyList<RuleOption> options)
    {
        string declared = string.Join(" / ", descriptors.Select(d => Name(d.DefaultSeverity)).Distinct());
        var severities = options.OfType<SeverityOption>().ToList();
        return severities.Count == 0
            ? declared
            : declared + " declared; as reported: " + string.Join(", ", severities.Select(o => $"{o.DefaultValue} ({o.Purpose})"));
    }

    private static string Name(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "suggestion",
        _ => "silent",
    };

    private static List<DiagnosticDescriptor> Descriptors(string id) =>
        RuleCatalogTests.Analyzers().SelectMany(a => a.SupportedDiagnostics).Where(d => d.Id == id).ToList();

    private static bool HasFix(string id) => RuleCatalogTests.FixProviders().Any(f => f.FixableDiagnosticIds.Contains(id));
}
