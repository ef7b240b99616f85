using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Tests.Verifiers;

/// <summary>
/// One file (and any <c>others</c> beside it) compiled against .NET 8 (and TorchSharp), with every GradientGuard analyzer,
/// concurrent, as a compiler runs them; the model is the first file's.
/// </summary>
internal static class AllRules
{
    public static async Task<(CompilationWithAnalyzers Analysis, SemanticModel Model)> On(string source, bool withTorchSharp = true, params string[] others)
    {
        var references = await References(withTorchSharp);
        var tree = CSharpSyntaxTree.ParseText(source, path: "Test.cs");
        var trees = others.Select((other, i) => CSharpSyntaxTree.ParseText(other, path: $"Other{i}.cs")).Prepend(tree);
        var compilation = CSharpCompilation.Create("Test", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return (Analyzed(compilation), compilation.GetSemanticModel(tree));
    }

    /// <summary>.NET 8's reference assemblies, and TorchSharp's unless <paramref name="withTorchSharp"/> is false.</summary>
    public static async Task<ImmutableArray<MetadataReference>> References(bool withTorchSharp = true)
    {
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, default);
        return withTorchSharp ? references.Add(TestReferences.TorchSharp) : references;
    }

    /// <summary>
    /// The bodies of <paramref name="tree"/> that <paramref name="analyzer"/> alone looks up when it analyzes
    /// <paramref name="compilation"/> (<see cref="Infrastructure.FileBodies.LookingUp"/>): every binding of a file's code
    /// by the rules starts there, so a body not looked up is one a rule's gates kept it from binding.
    /// </summary>
    public static async Task<List<SyntaxNode>> BodiesLookedUp(Compilation compilation, SyntaxTree tree, DiagnosticAnalyzer analyzer)
    {
        var read = new ConcurrentBag<SyntaxNode>();
        void Watch(SyntaxNode body) => read.Add(body);
        Infrastructure.FileBodies.LookingUp += Watch;
        try
        {
            await Analyzed(compilation, analyzer).GetAnalyzerDiagnosticsAsync();
            return read.Where(body => body.SyntaxTree == tree).ToList(); // other tests run beside this one
        }
        finally
        {
            Infrastructure.FileBodies.LookingUp -= Watch;
        }
    }

    /// <summary><paramref name="compilation"/> with <paramref name="analyzers"/> (every GradientGuard analyzer when none is given), concurrent.</summary>
    public static CompilationWithAnalyzers Analyzed(Compilation compilation, params DiagnosticAnalyzer[] analyzers)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null,
            concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false);
        return compilation.WithAnalyzers(analyzers.Length > 0 ? analyzers.ToImmutableArray() : RuleCatalogTests.Analyzers().ToImmutableArray(), options);
    }
}
