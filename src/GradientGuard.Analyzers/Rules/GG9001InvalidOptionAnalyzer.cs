using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Rules;

/// <summary>
/// GG9001: a <c>gradientguard.*</c> .editorconfig key that no rule reads (a typo), or a value a rule cannot use (it then
/// falls back to its default). Reported once per key and value for the whole compilation, with no source location:
/// the mistake is in a configuration file, which the compiler does not give analyzers locations in.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GG9001InvalidOptionAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.InvalidOption,
        title: "Invalid GradientGuard option",
        messageFormat: "'{0} = {1}': {2}",
        Categories.Configuration,
        RuleLevel.BuildWarning,
        description: "A mistyped key or an unusable value would otherwise be ignored without a word.", WellKnownDiagnosticTags.CompilationEnd);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    // Options are checked whether or not TorchSharp is referenced: a typo in them is a typo either way.
    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationAction(CheckOptions);
    }

    // Every file's options are read (a build gives each file its own): optimized at first call, since it reads about
    // twenty keys for every file of the compilation at once (Jit).
    [MethodImpl(Jit.OptimizedAtFirstCall)]
    private static void CheckOptions(CompilationAnalysisContext end)
    {
        var provider = end.Options.AnalyzerConfigOptionsProvider;
        var reported = new HashSet<(string, string)>();
        foreach (var options in new[] { provider.GlobalOptions }.Concat(end.Compilation.SyntaxTrees.Select(provider.GetOptions)))
        {
            foreach (string key in options.Keys)
            {
                if (!key.StartsWith(RuleOptions.Prefix, StringComparison.OrdinalIgnoreCase) ||
                    !options.TryGetValue(key, out var value) || !reported.Add((key.ToLowerInvariant(), value)))
                    continue;
                var option = RuleOptions.All.FirstOrDefault(o => string.Equals(o.Key, key, StringComparison.OrdinalIgnoreCase));
                string? problem = option is null
                    ? "no GradientGuard rule reads this key (known keys: " + string.Join(", ", RuleOptions.All.Select(o => o.Key)) + ")"
                    : option.IsValid(value) ? null : "expected " + option.Expected + "; the default is used";
                if (problem is not null)
                    end.ReportDiagnostic(Diagnostic.Create(Rule, Location.None, key, value, problem));
            }
        }
    }
}
