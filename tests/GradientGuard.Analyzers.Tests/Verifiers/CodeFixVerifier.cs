using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace GradientGuard.Analyzers.Tests.Verifiers;

/// <summary>Runs an analyzer and its code fix (and Fix All) through the Roslyn testing framework against real TorchSharp.</summary>
public static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(DiagnosticSeverity severity) =>
        CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic().WithSeverity(severity);

    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) =>
        CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic(descriptor);

    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected) =>
        VerifyAnalyzerAsync(source, editorConfig: null, expected);

    public static Task VerifyAnalyzerAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        AddEditorConfig(test, editorConfig);
        return test.RunAsync();
    }

    public static Task VerifyCodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected) =>
        VerifyCodeFixAsync(source, fixedSource, equivalenceKey: null, expected);

    /// <summary>Applies the action with <paramref name="equivalenceKey"/> (the first action when null), then Fix All, and compares.</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string? equivalenceKey, params DiagnosticResult[] expected) =>
        VerifyCodeFixAsync(source, fixedSource, equivalenceKey, editorConfig: null, expected);

    public static Task VerifyCodeFixAsync(string source, string fixedSource, string? equivalenceKey, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource, CodeActionEquivalenceKey = equivalenceKey };
        test.ExpectedDiagnostics.AddRange(expected);
        AddEditorConfig(test, editorConfig);
        return test.RunAsync();
    }

    /// <summary>Runs the analyzer with <paramref name="findings"/> as the findings file (an additional file), then the fix (when <paramref name="fixedSource"/> is given).</summary>
    public static Task VerifyWithFindingsAsync(string source, string findings, string? fixedSource, string? equivalenceKey = null, string? editorConfig = null, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, CodeActionEquivalenceKey = equivalenceKey };
        if (fixedSource is not null)
        {
            test.FixedCode = fixedSource;
            test.FixedState.AdditionalFiles.Add((TestFinding.Path, findings));
        }
        test.TestState.AdditionalFiles.Add((TestFinding.Path, findings));
        test.ExpectedDiagnostics.AddRange(expected);
        AddEditorConfig(test, editorConfig);
        return test.RunAsync();
    }

    private static void AddEditorConfig(Test test, string? editorConfig)
    {
        if (editorConfig is not null)
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig));
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net80;
            TestState.AdditionalReferences.Add(TestReferences.TorchSharp);
            FixedState.AdditionalReferences.Add(TestReferences.TorchSharp);
        }
    }
}
