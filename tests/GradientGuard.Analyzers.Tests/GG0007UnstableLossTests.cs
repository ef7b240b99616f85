using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.Rules;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0007UnstableLossAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0007StableLossCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0007UnstableLossTests
{
    private const string Usings = """
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    [Fact]
    public async Task Sigmoid_into_binary_cross_entropy_becomes_the_with_logits_form()
    {
        string source = Usings + """
            class Losses
            {
                Tensor Loss(Tensor logits, Tensor y) => {|#0:nn.functional.binary_cross_entropy({|#1:torch.sigmoid(logits)|}, y)|};
            }
            """;
        string fixedSource = Usings + """
            class Losses
            {
                Tensor Loss(Tensor logits, Tensor y) => nn.functional.binary_cross_entropy_with_logits(logits, y);
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("binary_cross_entropy"));
    }

    [Fact]
    public async Task Sigmoid_into_a_BCELoss_module_becomes_BCEWithLogitsLoss_with_its_declared_type()
    {
        string source = Usings + """
            class Trainer
            {
                Tensor Step(Tensor logits, Tensor y)
                {
                    BCELoss criterion = {|#2:nn.BCELoss()|};
                    return {|#0:criterion.forward({|#1:logits.sigmoid()|}, y)|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                Tensor Step(Tensor logits, Tensor y)
                {
                    BCEWithLogitsLoss criterion = nn.BCEWithLogitsLoss();
                    return criterion.forward(logits, y);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithLocation(2).WithArguments("BCELoss"));
    }

    [Fact]
    public async Task Log_of_softmax_becomes_log_softmax_in_each_spelling()
    {
        string source = Usings + """
            class Losses
            {
                Tensor A(Tensor x) => {|#0:torch.log({|#1:nn.functional.softmax(x, 1)|})|};
                Tensor B(Tensor x) => {|#2:{|#3:x.softmax(-1)|}.log()|};
                Tensor C(Tensor x) => {|#4:torch.log({|#5:torch.softmax(x, 1)|} + 1e-8)|};
            }
            """;
        string fixedSource = Usings + """
            class Losses
            {
                Tensor A(Tensor x) => nn.functional.log_softmax(x, 1);
                Tensor B(Tensor x) => x.log_softmax(-1);
                Tensor C(Tensor x) => nn.functional.log_softmax(x, 1);
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.LogSoftmax).WithLocation(0).WithLocation(1).WithArguments("log"),
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.LogSoftmax).WithLocation(2).WithLocation(3).WithArguments("log"),
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.LogSoftmax).WithLocation(4).WithLocation(5).WithArguments("log"));
    }

    [Fact]
    public async Task Softmax_into_cross_entropy_is_dropped()
    {
        string source = Usings + """
            class Losses
            {
                Tensor A(Tensor logits, Tensor y) => {|#0:nn.functional.cross_entropy({|#1:nn.functional.softmax(logits, 1)|}, y)|};

                Tensor B(Tensor logits, Tensor y)
                {
                    var criterion = nn.CrossEntropyLoss();
                    return {|#2:criterion.call({|#3:logits.softmax(1)|}, y)|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Losses
            {
                Tensor A(Tensor logits, Tensor y) => nn.functional.cross_entropy(logits, y);

                Tensor B(Tensor logits, Tensor y)
                {
                    var criterion = nn.CrossEntropyLoss();
                    return criterion.call(logits, y);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.DoubleSoftmax).WithLocation(0).WithLocation(1).WithArguments("cross_entropy"),
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.DoubleSoftmax).WithLocation(2).WithLocation(3).WithArguments("CrossEntropyLoss"));
    }

    [Fact]
    public async Task A_sigmoid_kept_in_a_local_is_reported_without_a_fix_and_with_logits_plus_a_metrics_sigmoid_is_fine()
    {
        string source = Usings + """
            class Losses
            {
                Tensor Shared(Tensor logits, Tensor y)
                {
                    var probabilities = torch.sigmoid(logits);
                    Report(probabilities);
                    return {|#0:nn.functional.binary_cross_entropy(probabilities, y)|};
                }

                Tensor Fine(Tensor logits, Tensor y)
                {
                    var accuracy = torch.sigmoid(logits).round().eq(y).to_type(ScalarType.Float32).mean();
                    Report(accuracy);
                    return nn.functional.binary_cross_entropy_with_logits(logits, y);
                }

                Tensor LogOfSomethingElse(Tensor x) => torch.log(x.abs() + 1);

                static void Report(Tensor t) { }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, source,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithArguments("binary_cross_entropy"));
    }

    [Fact]
    public async Task A_Sigmoid_module_applied_inline_is_dropped()
    {
        string source = Usings + """
            class Losses
            {
                private readonly Sigmoid act = nn.Sigmoid();
                Tensor Loss(Tensor logits, Tensor y) => {|#0:nn.functional.binary_cross_entropy({|#1:act.call(logits)|}, y)|};
            }
            """;
        string fixedSource = Usings + """
            class Losses
            {
                private readonly Sigmoid act = nn.Sigmoid();
                Tensor Loss(Tensor logits, Tensor y) => nn.functional.binary_cross_entropy_with_logits(logits, y);
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("binary_cross_entropy"));
    }

    // A file that never names a sigmoid or a softmax is still read: the activation module's type may be named only in
    // another file (a global alias here, a base class's field below).
    [Fact]
    public async Task A_Sigmoid_module_typed_through_a_global_alias_in_another_file_is_read_too()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Aliases.cs", "global using Squash = TorchSharp.Modules.Sigmoid;\n"));
        test.TestState.Sources.Add(("/Losses.cs", Usings + """
            class Losses
            {
                Tensor Loss(Squash act, Tensor logits, Tensor y) => {|#0:nn.functional.binary_cross_entropy({|#1:act.call(logits)|}, y)|};
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("binary_cross_entropy"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_Sigmoid_module_held_by_a_base_class_in_another_file_is_read_too()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Base.cs", Usings + """
            class LossesBase
            {
                protected readonly Sigmoid act = nn.Sigmoid();
            }
            """));
        test.TestState.Sources.Add(("/Losses.cs", Usings + """
            class Losses : LossesBase
            {
                Tensor Loss(Tensor logits, Tensor y) => {|#0:nn.functional.binary_cross_entropy({|#1:act.call(logits)|}, y)|};
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("binary_cross_entropy"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_body_that_names_only_the_cross_entropy_function_is_read()
    {
        string source = Usings + """
            class Losses
            {
                Tensor Loss(Tensor logits, Tensor y)
                {
                    var probabilities = torch.sigmoid(logits);
                    return {|#0:nn.functional.binary_cross_entropy(probabilities, y)|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithArguments("binary_cross_entropy"));
    }

    [Fact]
    public async Task A_model_whose_last_layer_is_a_Sigmoid_fed_to_BCE_is_reported_without_a_fix()
    {
        string source = Usings + """
            class Classifier : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc = nn.Linear(4, 1);
                public Classifier() : base("c") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => torch.sigmoid(fc.call(x));
            }

            class Trainer
            {
                Tensor A(Tensor x, Tensor y)
                {
                    var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid());
                    return {|#0:nn.functional.binary_cross_entropy(model.call(x), y)|};
                }

                Tensor B(Tensor x, Tensor y, Classifier classifier)
                {
                    var criterion = nn.BCELoss();
                    return {|#1:criterion.forward(classifier.forward(x), y)|};
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, source,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithArguments("binary_cross_entropy"),
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(1).WithArguments("BCELoss"));
    }

    [Fact]
    public async Task A_Sequential_field_ending_in_a_Sigmoid_is_followed_through_the_local_that_holds_its_output()
    {
        string source = Usings + """
            class Gan : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential discriminator;
                private readonly Sequential critic;

                public Gan() : base("gan")
                {
                    discriminator = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid());
                    critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => discriminator.forward(x);

                void Train(Tensor real, Tensor fake, Tensor labels)
                {
                    var criterion = nn.BCELoss();
                    var output = discriminator.forward(real);
                    var lossReal = {|#0:criterion.forward(output, labels)|};
                    output = critic.forward(fake);
                    var lossFake = criterion.forward(output, labels); // the critic gives logits: fine for this rule
                    output = discriminator.forward(fake);
                    var lossAgain = {|#1:criterion.forward(output, labels)|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithArguments("BCELoss"),
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(1).WithArguments("BCELoss"));
    }

    // A loss module's forward or call is read only where an expression of its type can exist: the compilation names
    // BCELoss or CrossEntropyLoss, or references another assembly built on TorchSharp. Both ways in, and the gate itself.
    [Fact]
    public async Task A_BCELoss_typed_through_a_global_alias_in_another_file_is_read()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Aliases.cs", "global using Criterion = TorchSharp.Modules.BCELoss;\n"));
        test.TestState.Sources.Add(("/Losses.cs", Usings + """
            class Losses
            {
                Tensor Loss(Criterion criterion, Tensor logits, Tensor y) => {|#0:criterion.forward({|#1:logits.sigmoid()|}, y)|};
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("BCELoss"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_BCELoss_whose_factory_name_is_written_with_a_Unicode_escape_is_read()
    {
        string source = Usings + """
            class Trainer
            {
                Tensor Step(Tensor logits, Tensor y)
                {
                    var criterion = {|#2:nn.\u0042CELoss()|};
                    return {|#0:criterion.forward({|#1:logits.sigmoid()|}, y)|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithLocation(2).WithArguments("BCELoss"));
    }

    [Fact]
    public async Task A_BCELoss_handed_over_by_a_library_built_on_TorchSharp_is_read()
    {
        var library = await Library("""
            namespace Lib;
            public static class Criteria
            {
                public static TorchSharp.Modules.BCELoss Binary() => TorchSharp.torch.nn.BCELoss();
            }
            """);
        var test = new Verify.Test();
        test.TestState.AdditionalReferences.Add(library);
        test.TestState.Sources.Add(("/Losses.cs", Usings + """
            class Losses
            {
                Tensor Loss(Tensor logits, Tensor y)
                {
                    var criterion = Lib.Criteria.Binary();
                    return {|#0:criterion.forward({|#1:logits.sigmoid()|}, y)|};
                }
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(GG0007UnstableLossAnalyzer.SigmoidBce).WithLocation(0).WithLocation(1).WithArguments("BCELoss"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_forward_is_not_read_in_a_compilation_that_can_hold_no_loss_module()
    {
        const string model = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear layer = nn.Linear(4, 1);
                public Net() : base("net") => RegisterComponents();
                public override Tensor forward(Tensor x) => layer.forward(x).sigmoid();
            }
            """;
        Assert.Empty(await BodiesGG0007Reads(model));
        // The same body is read once the compilation names a loss module (in a file of its own), or references a library
        // built on TorchSharp.
        Assert.NotEmpty(await BodiesGG0007Reads(model, "class Losses { TorchSharp.Modules.CrossEntropyLoss criterion; }"));
        Assert.NotEmpty(await BodiesGG0007Reads(model, library: await Library("namespace Lib; public static class Layers { public static TorchSharp.Modules.Linear Make() => TorchSharp.torch.nn.Linear(1, 1); }")));
    }

    // The bodies of the first file that GG0007 alone looks up (FileBodies.LookingUp).
    private static async Task<List<SyntaxNode>> BodiesGG0007Reads(string source, string? other = null, MetadataReference? library = null)
    {
        var references = (await AllRules.References()).AddRange(library is null ? Array.Empty<MetadataReference>() : new[] { library });
        var tree = CSharpSyntaxTree.ParseText(source, path: "Net.cs");
        var trees = other is null ? new[] { tree } : new[] { tree, CSharpSyntaxTree.ParseText(other, path: "Losses.cs") };
        var compilation = CSharpCompilation.Create("Test", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return await AllRules.BodiesLookedUp(compilation, tree, new GG0007UnstableLossAnalyzer());
    }

    // A library compiled against TorchSharp, referenced by its image.
    private static async Task<MetadataReference> Library(string source)
    {
        var compilation = CSharpCompilation.Create("Lib", new[] { CSharpSyntaxTree.ParseText(source) }, await AllRules.References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
