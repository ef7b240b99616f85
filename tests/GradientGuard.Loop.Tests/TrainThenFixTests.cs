using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Rules;
using GradientGuard.Loop.Tests.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Loop.Tests;

/// <summary>
/// The loop, end to end: train a vanishing model under the monitor, which writes the findings file; run the analyzers on
/// that model's own source with the file; the diagnostic is on the layer, with the measured evidence; apply its quick
/// fix; the code is fixed and the diagnostic is gone, before any new training run.
/// </summary>
public sealed class TrainThenFixTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"gg-loop-{Guid.NewGuid():N}");

    public TrainThenFixTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Train_squiggle_fix()
    {
        // 1. Train: the model class of this project, under the monitor, with a findings file.
        string findingsPath = Path.Combine(folder, "obj", "gradientguard.findings.json");
        torch.manual_seed(1);
        using var model = new VanishingNet();
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { FindingsPath = findingsPath });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
        for (int step = 0; step < 15; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn(64, 16);
            var y = x.sin().sum(1, keepdim: true).div(4.0);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            monitor.Check(loss);
            optimizer.step();
        }
        var observed = Assert.Single(monitor.Diagnostics, d => d.Kind == GradientIssueKind.Vanishing);
        Assert.Equal(RuleIds.SaturatingActivationStack, observed.RuleId);
        Assert.Equal("input", observed.Layers[0]);
        Assert.True(File.Exists(findingsPath));

        // 2. Squiggle: the analyzers on the model's source, with the findings file as an additional file.
        string modelFile = ModelFile();
        string source = File.ReadAllText(modelFile);
        var project = await CreateProjectAsync(modelFile, source, findingsPath);
        var diagnostic = Assert.Single(await ObservedAsync(project));

        Assert.Equal("GG1001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(modelFile, diagnostic.Location.SourceTree!.FilePath);
        var span = diagnostic.Location.GetLineSpan();
        int inputLine = Array.FindIndex(source.Split('\n'), l => l.Contains("Linear input = ", StringComparison.Ordinal));
        Assert.Equal(inputLine, span.StartLinePosition.Line);
        Assert.Equal("input", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        string day = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string layers = string.Join(", ", observed.Layers.Take(6).Select(l => $"'{l}'")) + (observed.Layers.Count > 6 ? $" and {observed.Layers.Count - 6} more" : "");
        Assert.Equal(
            $"Training observed vanishing gradients in {layers} at step {observed.Step} ({observed.Measure} {observed.Value.ToString("G3", CultureInfo.InvariantCulture)}, " +
            $"threshold {observed.Threshold.ToString("G3", CultureInfo.InvariantCulture)}; trained on {day}). Cause: {observed.Cause}. Fix: {observed.Advice}.",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        // What the fix rewrites: the Sigmoid module applied after every hidden layer, its type and its creation.
        Assert.Equal(new[] { "Sigmoid", "nn.Sigmoid()" }, diagnostic.AdditionalLocations.Select(l => source.Substring(l.SourceSpan.Start, l.SourceSpan.Length)));

        // 3. Fix: the quick fix is GG0001's replacement; the result compiles and the diagnostic is gone at once.
        var fixer = new GG1001ObservedVanishingCodeFix();
        var document = project.Documents.Single();
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        Assert.Equal(new[] { "Use ReLU for the hidden activations", "Use LeakyReLU for the hidden activations", "Use GELU for the hidden activations" }, actions.Select(a => a.Title));
        var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
        var fixedProject = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.Projects.Single();
        string fixedSource = (await fixedProject.Documents.Single().GetTextAsync()).ToString();

        Assert.Equal(source.Replace("private readonly Sigmoid act = nn.Sigmoid();", "private readonly ReLU act = nn.ReLU();", StringComparison.Ordinal), fixedSource);
        Assert.Empty((await fixedProject.GetCompilationAsync())!.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(await ObservedAsync(fixedProject));
    }

    private static string ModelFile([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Models", "VanishingNet.cs");

    // This test project's name, so that the model type the monitor recorded is a type of the analyzed compilation.
    private static async Task<Project> CreateProjectAsync(string path, string source, string findingsPath)
    {
        await Task.CompletedTask;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(torch).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        string assembly = typeof(VanishingNet).Assembly.GetName().Name!;
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Create(), assembly, assembly, LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest)))
            .AddMetadataReferences(projectId, references)
            .AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(path), SourceText.From(source), filePath: path)
            .AddAdditionalDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(findingsPath), SourceText.From(File.ReadAllText(findingsPath)), filePath: findingsPath);
        return solution.Projects.Single();
    }

    // Every analyzer of the package, as the build runs them (the static rules may speak about this model too); none may
    // fail or find the findings file unreadable. The observed diagnostics are returned.
    private static async Task<ImmutableArray<Diagnostic>> ObservedAsync(Project project)
    {
        var analyzers = typeof(GG1001ObservedVanishingAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var compilation = (await project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var all = await compilation.WithAnalyzers(analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(all, d => d.Id == "AD0001" || d.Id == "GG9002");
        return all.Where(d => d.Id.StartsWith("GG1", StringComparison.Ordinal)).ToImmutableArray();
    }
}
