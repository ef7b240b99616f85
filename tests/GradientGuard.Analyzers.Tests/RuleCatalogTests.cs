using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Tests;

/// <summary>Every rule ships complete: a doc page, a help link to it, tests, a release-tracking entry and a code fix with Fix All.</summary>
public sealed class RuleCatalogTests
{
    public static TheoryData<string> RuleIdList()
    {
        var data = new TheoryData<string>();
        foreach (var id in Descriptors().Select(d => d.Id).Distinct())
            data.Add(id);
        return data;
    }

    [Fact]
    public void Rule_ids_are_well_formed_and_each_belongs_to_one_analyzer()
    {
        // One analyzer may report an ID with several messages (GG0002); two analyzers never share an ID.
        var idsPerAnalyzer = Analyzers().Select(a => a.SupportedDiagnostics.Select(d => d.Id).Distinct().ToList()).ToList();
        var ids = idsPerAnalyzer.SelectMany(i => i).ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Matches("^GG\\d{4}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(RuleIdList))]
    public void Each_rule_has_a_doc_page_its_help_link_points_to(string id)
    {
        string page = Path.Combine(RepositoryRoot(), "docs", "rules", id + ".md");

        Assert.True(File.Exists(page), $"missing {page}");
        Assert.All(Descriptors().Where(d => d.Id == id), d => Assert.Equal(HelpLinks.For(id), d.HelpLinkUri));
        string text = File.ReadAllText(page);
        foreach (var section in new[] { "## Cause", "## Why it matters", "## How to fix", "## Configuration", "## Suppression" })
            Assert.Contains(section, text, StringComparison.Ordinal);
        Assert.Contains("// Bad", text, StringComparison.Ordinal);
        Assert.Contains("// Fixed", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIdList))]
    public void Each_rule_has_a_test_class_and_a_release_entry(string id)
    {
        Assert.Contains(typeof(RuleCatalogTests).Assembly.GetTypes(), t => t.Name.StartsWith(id, StringComparison.Ordinal) && t.Name.EndsWith("Tests", StringComparison.Ordinal));
        string releases = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GradientGuard.Analyzers", "AnalyzerReleases.Unshipped.md")) +
                          File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GradientGuard.Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.Matches(new Regex("^" + id + " \\|", RegexOptions.Multiline), releases);
    }

    [Theory]
    [MemberData(nameof(RuleIdList))]
    public void Each_rule_has_a_code_fix_with_fix_all(string id)
    {
        // GG9001 points at an .editorconfig line and GG9002 at the findings file, which no code fix can edit.
        if (id is GradientGuard.Analyzers.Infrastructure.RuleIds.InvalidOption or GradientGuard.Analyzers.Infrastructure.RuleIds.UnreadableFindings)
            return;
        var fixes = FixProviders().Where(f => f.FixableDiagnosticIds.Contains(id)).ToList();
        Assert.NotEmpty(fixes);
        Assert.All(fixes, f => Assert.NotNull(f.GetFixAllProvider()));
    }

    [Theory]
    [MemberData(nameof(RuleIdList))]
    public void Each_rule_is_in_the_readme_table(string id)
    {
        Assert.Contains($"[{id}](docs/rules/{id}.md)", File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtimes_rule_ids_are_the_analyzers_under_the_same_names()
    {
        var analyzerIds = typeof(GradientGuard.Analyzers.Infrastructure.RuleIds).GetFields().ToDictionary(f => f.Name, f => (string?)f.GetRawConstantValue());
        var runtimeIds = typeof(GradientGuard.RuleIds).GetFields();
        Assert.NotEmpty(runtimeIds);
        Assert.All(runtimeIds, f => Assert.Equal(analyzerIds.GetValueOrDefault(f.Name), (string?)f.GetRawConstantValue()));
    }

    internal static IEnumerable<DiagnosticAnalyzer> Analyzers() =>
        typeof(GradientGuardAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);

    private static IEnumerable<Microsoft.CodeAnalysis.DiagnosticDescriptor> Descriptors() => Analyzers().SelectMany(a => a.SupportedDiagnostics);

    /// <summary>Every rule ID some code fix fixes, in order.</summary>
    internal static IEnumerable<string> FixableIds() =>
        FixProviders().SelectMany(f => f.FixableDiagnosticIds).Distinct().Order(StringComparer.Ordinal);

    internal static IEnumerable<CodeFixProvider> FixProviders() =>
        typeof(CodeFixes.GG0003AddGradientClippingCodeFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GradientGuard.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("GradientGuard.sln not found above " + AppContext.BaseDirectory);
    }
}
