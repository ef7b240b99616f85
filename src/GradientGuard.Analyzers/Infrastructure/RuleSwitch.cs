using System.Threading;
using Microsoft.CodeAnalysis;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Whether a rule is on for a file. Where two rules would report one cause, one owns it and the other yields; the yielding
/// one asks this, so that it speaks again when the owner is turned off (.editorconfig, a global config, or NoWarn).
/// </summary>
internal static class RuleSwitch
{
    public static bool IsOn(Compilation compilation, SyntaxTree tree, string id, CancellationToken cancellation)
    {
        var provider = compilation.Options.SyntaxTreeOptionsProvider;
        if (provider is not null && provider.TryGetDiagnosticValue(tree, id, cancellation, out var severity))
            return severity != ReportDiagnostic.Suppress;
        if (provider is not null && provider.TryGetGlobalDiagnosticValue(id, cancellation, out var global))
            return global != ReportDiagnostic.Suppress;
        return !compilation.Options.SpecificDiagnosticOptions.TryGetValue(id, out var specific) || specific != ReportDiagnostic.Suppress;
    }
}
