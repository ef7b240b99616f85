using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0006DeepWithoutNormalizationAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0006AddNormalizationCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0006DeepWithoutNormalizationTests
{
    private const string Usings = """
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private const string ThreeLayers = "gradientguard.GG0006.min_weight_layers = 3";

    private static DiagnosticResult Expected(int depth, params int[] locations)
    {
        var result = Verify.Diagnostic(GG0006DeepWithoutNormalizationAnalyzer.Rule).WithArguments(depth);
        foreach (int location in locations)
            result = result.WithLocation(location);
        return result;
    }

    [Fact]
    public async Task Eight_plain_Linear_layers_are_flagged_by_default()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    {|#1:nn.Linear(8, 16)|}, nn.ReLU(), {|#2:nn.Linear(16, 16)|}, nn.ReLU(), {|#3:nn.Linear(16, 16)|}, nn.ReLU(), {|#4:nn.Linear(16, 16)|}, nn.ReLU(),
                    {|#5:nn.Linear(16, 16)|}, nn.ReLU(), {|#6:nn.Linear(16, 16)|}, nn.ReLU(), {|#7:nn.Linear(16, 16)|}, nn.ReLU(), nn.Linear(16, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(8, 0, 1, 2, 3, 4, 5, 6, 7));
    }

    [Fact]
    public async Task BatchNorm1d_is_inserted_after_each_hidden_Linear_in_the_tuple_form()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    ("fc1", {|#1:nn.Linear(8, 32)|}), ("act1", nn.ReLU()),
                    ("fc2", {|#2:nn.Linear(32, 32)|}), ("act2", nn.ReLU()),
                    ("out", nn.Linear(32, 1)));
            }
            """;
        string fixedSource = Usings + """
            class Models
            {
                Sequential Build() => nn.Sequential(
                    ("fc1", nn.Linear(8, 32)), ("fc1_norm", nn.BatchNorm1d(32)), ("act1", nn.ReLU()),
                    ("fc2", nn.Linear(32, 32)), ("fc2_norm", nn.BatchNorm1d(32)), ("act2", nn.ReLU()),
                    ("out", nn.Linear(32, 1)));
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0006AddNormalizationCodeFix.BatchNormKey, ThreeLayers, Expected(3, 0, 1, 2));
    }

    [Fact]
    public async Task LayerNorm_is_the_second_action_and_Conv2d_gets_BatchNorm2d()
    {
        string linear = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}({|#1:nn.Linear(8, 32)|}, nn.GELU(), {|#2:nn.Linear(32, 32)|}, nn.GELU(), nn.Linear(32, 1));
            }
            """;
        string linearFixed = Usings + """
            class Models
            {
                Sequential Build() => nn.Sequential(nn.Linear(8, 32), nn.LayerNorm(32), nn.GELU(), nn.Linear(32, 32), nn.LayerNorm(32), nn.GELU(), nn.Linear(32, 1));
            }
            """;
        await Verify.VerifyCodeFixAsync(linear, linearFixed, GG0006AddNormalizationCodeFix.LayerNormKey, ThreeLayers, Expected(3, 0, 1, 2));

        string conv = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}({|#1:nn.Conv2d(3, 16, 3)|}, nn.ReLU(), {|#2:nn.Conv2d(16, 16, 3)|}, nn.ReLU(), nn.Conv2d(16, 4, 3));
            }
            """;
        string convFixed = Usings + """
            class Models
            {
                Sequential Build() => nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 4, 3));
            }
            """;
        await Verify.VerifyCodeFixAsync(conv, convFixed, GG0006AddNormalizationCodeFix.BatchNormKey, ThreeLayers, Expected(3, 0, 1, 2));
    }

    [Fact]
    public async Task A_module_class_is_flagged_on_forward_without_a_fix_and_residual_or_normalized_nets_are_not()
    {
        string source = Usings + """
            class Plain : nn.Module<Tensor, Tensor>
            {
                private readonly Linear a = nn.Linear(8, 8), b = nn.Linear(8, 8), c = nn.Linear(8, 8);
                public Plain() : base("p") { RegisterComponents(); }
                public override Tensor {|#0:forward|}(Tensor x) => c.call(b.call(a.call(x).relu()).relu());
            }

            class Residual : nn.Module<Tensor, Tensor>
            {
                private readonly Linear a = nn.Linear(8, 8), b = nn.Linear(8, 8), c = nn.Linear(8, 8);
                public Residual() : base("r") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => c.call(x + b.call(x + a.call(x).relu()).relu());
            }

            class Models
            {
                Sequential Normalized() => nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 8), nn.Linear(8, 8));
                Sequential Shallow() => nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, ThreeLayers, Expected(3, 0));
    }

    [Fact]
    public async Task Layers_held_as_the_library_base_type_are_read_and_a_block_of_the_users_own_is_opaque()
    {
        // Members typed Module<Tensor, Tensor> are read through their creations; a member of a class of the user's is
        // opaque whatever it holds, and so is a helper of the user's, so those forwards are not read at all; nor is a
        // forward that applies fewer weight layers (members or ModuleList elements) than the depth reported.
        string source = Usings + """
            class Held : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor> a, b, c;
                public Held() : base("h") { a = nn.Linear(8, 8); b = nn.Linear(8, 8); c = nn.Linear(8, 8); RegisterComponents(); }
                public override Tensor {|#0:forward|}(Tensor x) => c.call(b.call(a.call(x).relu()).relu());
            }

            class Block : nn.Module<Tensor, Tensor>
            {
                private readonly Linear inner = nn.Linear(8, 8);
                public Block() : base("b") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => inner.call(x);
            }

            class WithBlock : nn.Module<Tensor, Tensor>
            {
                private readonly Linear a = nn.Linear(8, 8), b = nn.Linear(8, 8), c = nn.Linear(8, 8);
                private readonly Block block = new Block();
                public WithBlock() : base("w") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => c.call(block.call(b.call(a.call(x).relu()).relu()));
            }

            class WithHelper : nn.Module<Tensor, Tensor>
            {
                private readonly Linear a = nn.Linear(8, 8), b = nn.Linear(8, 8), c = nn.Linear(8, 8);
                public WithHelper() : base("w") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => c.call(Squeeze(b.call(a.call(x).relu())));
                private static Tensor Squeeze(Tensor x) => x.relu();
            }

            class Indexed : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();
                public Indexed() : base("i") { RegisterComponents(); }
                public override Tensor {|#1:forward|}(Tensor x) => layers[2].call(layers[1].call(layers[0].call(x).relu()).relu());
            }

            class TwoDeep : nn.Module<Tensor, Tensor>
            {
                private readonly Linear a = nn.Linear(8, 8), b = nn.Linear(8, 8);
                public TwoDeep() : base("t") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => b.call(a.call(x).relu());
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, ThreeLayers, Expected(3, 0), Expected(3, 1));
    }

    [Fact]
    public async Task A_member_of_the_library_base_type_built_as_a_Sequential_adds_all_its_layers()
    {
        // One call of `body` applies two weight layers: with the head, three in a row. The Sequential alone is too
        // shallow to be reported on its own construction, so the forward is.
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor> body;
                private readonly Linear head = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU());
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x) => head.call(body.call(x));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, ThreeLayers, Expected(3, 0));
    }

    [Fact]
    public async Task A_Sequential_of_Sequential_fields_is_one_path()
    {
        string source = Usings + """
            class AutoEncoder : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential encoder;
                private readonly Sequential decoder;
                private readonly Sequential model;

                public AutoEncoder() : base("ae")
                {
                    encoder = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 16));
                    decoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64));
                    model = nn.{|#0:Sequential|}(encoder, decoder);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => model.forward(x);
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(8, 0));
    }

    [Fact]
    public async Task Sequentials_whose_layers_come_through_nesting_tuples_or_a_filled_list_are_read_however_few_their_arguments()
    {
        // Each Sequential has fewer arguments than the depth reported: the layers come from nested Sequentials,
        // Tuple.Create pairs, or a list filled by a loop and copied. The syntax bound must leave each of them open.
        string source = Usings + """
            using System;
            using System.Collections.Generic;

            class Models
            {
                public static nn.Module<Tensor, Tensor> Nested() =>
                    nn.{|#0:Sequential|}(nn.Sequential({|#1:nn.Linear(8, 8)|}, nn.ReLU(), {|#2:nn.Linear(8, 8)|}), nn.Sequential(nn.Linear(8, 8), nn.ReLU()));

                public static nn.Module<Tensor, Tensor> Pairs() =>
                    nn.{|#3:Sequential|}(
                        Tuple.Create<string, nn.Module<Tensor, Tensor>>("a", nn.Sequential({|#4:nn.Linear(8, 8)|}, nn.ReLU(), {|#5:nn.Linear(8, 8)|})),
                        Tuple.Create<string, nn.Module<Tensor, Tensor>>("b", nn.Linear(8, 8)));

                public static nn.Module<Tensor, Tensor> Filled()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 3; i++)
                    {
                        layers.Add(nn.Linear(8, 8));
                        layers.Add(nn.ReLU());
                    }
                    return nn.{|#6:Sequential|}(layers.ToArray());
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, ThreeLayers, Expected(3, 0, 1, 2), Expected(3, 3, 4, 5), Expected(3, 6));
    }
}
