using System;
using System.Linq;
using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG1002ObservedExplodingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG1002ObservedExplodingCodeFix>;

namespace GradientGuard.Analyzers.Tests;

/// <summary>GG1002 places an exploding finding on the training step that ran the check, offers GG0003's clip, and forgets it once the step is clipped.</summary>
public sealed class GG1002ObservedExplodingTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private const string TestFile = "/0/Test0.cs";

    private static DiagnosticResult Observed() => new("GG1002", DiagnosticSeverity.Warning);

    /// <summary>The 1-based line of the first line holding <paramref name="marker"/>, as caller information records it.</summary>
    internal static int LineOf(string source, string marker) =>
        source.Split('\n').Select((text, i) => (text, i)).First(l => l.text.Contains(marker, StringComparison.Ordinal)).i + 1;

    private static TestFinding Exploding(string source, string marker) =>
        new("Net", "Exploding", "GG0003") { CallFile = TestFile, CallLine = LineOf(source, marker), Measure = "global gradient norm", Value = "2.5e6", Advice = "clip gradients (quick fix of GG0003)" };

    private const string Loop = """
        class {|#1:Net|} : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 1);
            public Net() : base("net") { RegisterComponents(); }
            public override Tensor forward(Tensor x) => fc1.call(x);
        }

        class Trainer
        {
            public static void Train(Sequential model, Tensor x, Tensor y)
            {
                var optimizer = optim.Adam(model.parameters(), 1e-3);
                for (int epoch = 0; epoch < 10; epoch++)
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(model.call(x), y);
                    loss.backward();
                    Check(loss); // the monitor's check
                    {|#0:optimizer.step()|};
                }
            }

            static void Check(Tensor loss) { }
        }
        """;

    [Fact]
    public async Task The_step_after_the_recorded_check_gets_the_diagnostic_and_the_clip_fix_makes_it_go_away()
    {
        string source = Usings + Loop;
        string fixedSource = Usings + Loop.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal)
            .Replace("// the monitor's check\n", "// the monitor's check\n            nn.utils.clip_grad_norm_(optimizer.parameters(), max_norm: 1.0);\n", StringComparison.Ordinal);
        var finding = Exploding(source, "the monitor's check");
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(finding), fixedSource, GG0003AddGradientClippingCodeFix.EquivalenceKey, null,
            Observed().WithLocation(0).WithArguments("the model", 7L, "global gradient norm", "2.5E+06", "0.001", DateTimeOffset.UtcNow.AddHours(-1).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                "the gradient passes through 3 Sigmoid activations", "clip gradients (quick fix of GG0003)"));
    }

    [Fact]
    public async Task A_WithMonitor_call_before_the_loop_places_the_finding_on_the_loops_step()
    {
        string source = Usings + """
            static class Wrap
            {
                public static optim.Optimizer WithMonitor(this optim.Optimizer optimizer) => optimizer;
            }

            class Trainer
            {
                public static void Train(Sequential model, Tensor x, Tensor y)
                {
                    var optimizer = optim.SGD(model.parameters(), 0.1).WithMonitor(); // wrapped here
                    for (int epoch = 0; epoch < 10; epoch++)
                    {
                        optimizer.zero_grad();
                        nn.functional.mse_loss(model.call(x), y).backward();
                        {|#0:optimizer.step()|};
                    }
                }
            }
            """;
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(Exploding(source, "wrapped here")), fixedSource: null, null, null, Observed().WithLocation(0));
    }

    [Fact]
    public async Task A_clipped_step_an_unknown_line_or_another_file_raise_nothing_on_the_step()
    {
        string clipped = Usings + Loop.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal)
            .Replace("Check(loss);", "Check(loss); nn.utils.clip_grad_norm_(model.parameters(), 1.0);", StringComparison.Ordinal);
        await Verify.VerifyWithFindingsAsync(clipped, TestFinding.File(Exploding(clipped, "the monitor's check")), fixedSource: null);

        string plain = Usings + Loop.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal);
        var beyondTheFile = Exploding(plain, "the monitor's check") with { CallLine = 500 };
        await Verify.VerifyWithFindingsAsync(plain, TestFinding.File(beyondTheFile), fixedSource: null);
        // A loop in a file of another project: the finding goes on the model class, with no fix.
        var elsewhere = Exploding(plain, "the monitor's check") with { CallFile = "/elsewhere/Other.cs" };
        await Verify.VerifyWithFindingsAsync(plain, TestFinding.File(elsewhere), fixedSource: null, null, null, Observed().WithLocation(1));
    }

    [Fact]
    public async Task A_file_recorded_on_another_machine_is_matched_by_its_folder_and_name()
    {
        string source = Usings + Loop;
        var onCi = Exploding(source, "the monitor's check") with { CallFile = "D:\\a\\repo\\0\\Test0.cs" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(onCi), fixedSource: null, null, null, Observed().WithLocation(0));
    }

    private const string WithMonitorExtension = """
        static class Wrap
        {
            public static optim.Optimizer WithMonitor(this optim.Optimizer optimizer) => optimizer;
        }

        """;

    [Fact]
    public async Task A_WithMonitor_call_in_a_method_without_a_step_puts_the_finding_on_the_model_class()
    {
        string source = Usings + WithMonitorExtension + """
            class {|#0:Net|} : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 1);
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => fc1.call(x);
            }

            class Setup
            {
                public static optim.Optimizer Build(Net model) =>
                    optim.SGD(model.parameters(), 0.1).WithMonitor(); // wrapped here
            }
            """;
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(Exploding(source, "wrapped here")), fixedSource: null, null, null, Observed().WithLocation(0));
        // A line that is a blank between members (no method at all) is no step either.
        var between = Exploding(source, "wrapped here") with { CallLine = LineOf(source, "class Setup") + 1 };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(between), fixedSource: null, null, null, Observed().WithLocation(0));
    }

    private const string StoredOptimizer = """
        class Trainer
        {
            private readonly optim.Optimizer optimizer;
            private readonly Sequential model;

            public Trainer(Sequential model)
            {
                this.model = model;
                optimizer = optim.SGD(model.parameters(), 0.1).WithMonitor(); // wrapped here
            }

            public void Step(Tensor x, Tensor y)
            {
                optimizer.zero_grad();
                nn.functional.mse_loss(model.call(x), y).backward();
                {|#0:optimizer.step()|};
            }
        }
        """;

    [Fact]
    public async Task A_WithMonitor_that_stores_the_optimizer_in_a_field_places_the_finding_on_the_step_called_through_it()
    {
        string source = Usings + WithMonitorExtension + StoredOptimizer;
        string fixedSource = Usings + WithMonitorExtension + StoredOptimizer.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal)
            .Replace("backward();\n", "backward();\n        nn.utils.clip_grad_norm_(optimizer.parameters(), max_norm: 1.0);\n", StringComparison.Ordinal);
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(Exploding(source, "wrapped here") with { ModelType = "Trainer" }), fixedSource,
            GG0003AddGradientClippingCodeFix.EquivalenceKey, null, Observed().WithLocation(0));

        // Stored by the field's initializer.
        string initialized = Usings + WithMonitorExtension + """
            class Trainer
            {
                private static readonly Sequential model = nn.Sequential(nn.Linear(8, 1));
                private readonly optim.Optimizer optimizer = optim.SGD(model.parameters(), 0.1).WithMonitor(); // wrapped here

                public void Step(Tensor x, Tensor y)
                {
                    nn.functional.mse_loss(model.call(x), y).backward();
                    {|#0:optimizer.step()|};
                }
            }
            """;
        await Verify.VerifyWithFindingsAsync(initialized, TestFinding.File(Exploding(initialized, "wrapped here") with { ModelType = "Trainer" }), fixedSource: null, null, null,
            Observed().WithLocation(0));

        // Clipped in that method: the fix was applied, nothing anywhere (not on the class either).
        string clipped = Usings + WithMonitorExtension + StoredOptimizer.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal)
            .Replace("backward();", "backward(); nn.utils.clip_grad_norm_(model.parameters(), 1.0);", StringComparison.Ordinal);
        await Verify.VerifyWithFindingsAsync(clipped, TestFinding.File(Exploding(clipped, "wrapped here") with { ModelType = "Trainer" }), fixedSource: null);
    }

    [Fact]
    public async Task A_library_model_is_placed_on_the_step_of_a_recorded_file_of_this_compilation()
    {
        // A bare Sequential built in Program.cs: the model type is TorchSharp's, the call is ours.
        string source = Usings + Loop;
        var sequential = Exploding(source, "the monitor's check") with { ModelType = "TorchSharp.Modules.Sequential", Assembly = "TorchSharp" };
        await Verify.VerifyWithFindingsAsync(source, TestFinding.File(sequential), fixedSource: null, null, null, Observed().WithLocation(0));

        // Its call in another project's file, or no step after the call: no class of ours to fall back to, nothing.
        string plain = Usings + Loop.Replace("{|#0:optimizer.step()|}", "optimizer.step()", StringComparison.Ordinal).Replace("{|#1:Net|}", "Net", StringComparison.Ordinal);
        await Verify.VerifyWithFindingsAsync(plain, TestFinding.File(sequential with { CallFile = "/elsewhere/Other.cs" }), fixedSource: null);
        await Verify.VerifyWithFindingsAsync(plain, TestFinding.File(sequential with { CallLine = LineOf(plain, "public Net()") }), fixedSource: null);
    }

    private static string LayerNet(string declaration, string assignment = "this.rnn = rnn;") => Usings + $$"""
        class Net : nn.Module<Tensor, Tensor>
        {
            {{declaration}}
            private readonly Linear head = nn.Linear(8, 1);
            public Net(nn.Module rnn) : base("net") { {{assignment}} RegisterComponents(); }
            public override Tensor forward(Tensor x) => head.call(x);
        }
        """;

    private static TestFinding OnLayer(string layer, string type) =>
        new TestFinding("Net", "Exploding", "GG0005", layer) { LayerType = type, Measure = "global gradient norm", Value = "2.5e6", Advice = "use an LSTM or GRU (quick fix of GG0005)" };

    [Fact]
    public async Task A_layer_field_declared_with_a_base_type_of_the_trained_layer_gets_the_diagnostic()
    {
        var rnn = OnLayer("rnn", "TorchSharp.Modules.RNN");
        await Verify.VerifyWithFindingsAsync(LayerNet("private readonly nn.Module {|#0:rnn|};"), TestFinding.File(rnn), fixedSource: null, null, null, Observed().WithLocation(0));
        await Verify.VerifyWithFindingsAsync(LayerNet("private readonly nn.Module {|#0:rnn|} = nn.RNN(8, 8);", assignment: ""), TestFinding.File(rnn), fixedSource: null, null, null,
            Observed().WithLocation(0));
        // A generic base (Linear is a Module<Tensor, Tensor>).
        var linear = OnLayer("layer", "TorchSharp.Modules.Linear");
        await Verify.VerifyWithFindingsAsync(LayerNet("private readonly nn.Module<Tensor, Tensor> {|#0:layer|};", assignment: "layer = nn.Linear(8, 8);"), TestFinding.File(linear),
            fixedSource: null, null, null, Observed().WithLocation(0));
    }

    [Fact]
    public async Task A_layer_field_whose_type_cannot_hold_the_trained_layer_is_stale()
    {
        // An RNN is no Module<Tensor, Tensor>, and no Linear.
        await Verify.VerifyWithFindingsAsync(LayerNet("private readonly nn.Module<Tensor, Tensor> rnn;", assignment: "this.rnn = (nn.Module<Tensor, Tensor>)rnn;"),
            TestFinding.File(OnLayer("rnn", "TorchSharp.Modules.RNN")), fixedSource: null);
        await Verify.VerifyWithFindingsAsync(LayerNet("private readonly Linear rnn;", assignment: "this.rnn = (Linear)rnn;"),
            TestFinding.File(OnLayer("rnn", "TorchSharp.Modules.RNN")), fixedSource: null);
    }
}
