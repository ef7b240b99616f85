using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0001SaturatingActivationStackAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0001ReplaceSaturatingActivationsCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0001SaturatingActivationStackTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private static DiagnosticResult Expected(int count, params int[] locations)
    {
        var result = Verify.Diagnostic(DiagnosticSeverity.Warning).WithArguments(count);
        foreach (int location in locations)
            result = result.WithLocation(location);
        return result;
    }

    [Fact]
    public async Task Params_form_with_four_hidden_sigmoids_is_flagged_and_ReLU_keeps_the_output_sigmoid()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    nn.Linear(8, 32), {|#1:nn.Sigmoid()|},
                    nn.Linear(32, 32), {|#2:nn.Sigmoid()|},
                    nn.Linear(32, 32), {|#3:nn.Tanh()|},
                    nn.Linear(32, 32), {|#4:nn.Sigmoid()|},
                    nn.Linear(32, 1), nn.Sigmoid());  // probabilities
            }
            """;
        string fixedSource = Usings + """
            class Models
            {
                Sequential Build() => nn.Sequential(
                    nn.Linear(8, 32), nn.ReLU(),
                    nn.Linear(32, 32), nn.ReLU(),
                    nn.Linear(32, 32), nn.ReLU(),
                    nn.Linear(32, 32), nn.ReLU(),
                    nn.Linear(32, 1), nn.Sigmoid());  // probabilities
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.ReLUKey, Expected(4, 0, 1, 2, 3, 4));
    }

    [Fact]
    public async Task Named_tuple_form_is_flagged_and_LeakyReLU_keeps_names_and_the_inplace_flag()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    ("fc1", nn.Linear(8, 16)), ("act1", {|#1:nn.Tanh(true)|}),
                    ("fc2", nn.Linear(16, 16)), ("act2", {|#2:nn.Tanh()|}),
                    ("fc3", nn.Linear(16, 16)), ("act3", {|#3:nn.Tanh()|}),
                    ("out", nn.Linear(16, 1)));
            }
            """;
        string fixedSource = Usings + """
            class Models
            {
                Sequential Build() => nn.Sequential(
                    ("fc1", nn.Linear(8, 16)), ("act1", nn.LeakyReLU(inplace: true)),
                    ("fc2", nn.Linear(16, 16)), ("act2", nn.LeakyReLU()),
                    ("fc3", nn.Linear(16, 16)), ("act3", nn.LeakyReLU()),
                    ("out", nn.Linear(16, 1)));
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.LeakyReLUKey, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task A_list_filled_then_passed_is_flagged_and_GELU_replaces_with_the_files_import_style()
    {
        string source = """
            using System.Collections.Generic;
            using static TorchSharp.torch;
            using static TorchSharp.torch.nn;

            class Models
            {
                Module<Tensor, Tensor> Build()
                {
                    var layers = new List<(string, Module<Tensor, Tensor>)> { ("fc1", Linear(4, 8)), ("s1", {|#1:Sigmoid()|}) };
                    layers.Add(("fc2", Linear(8, 8)));
                    layers.Add(("s2", {|#2:Sigmoid()|}));
                    layers.Add(("fc3", Linear(8, 8)));
                    layers.Add(("s3", {|#3:Sigmoid()|}));
                    layers.Add(("out", Linear(8, 1)));
                    return {|#0:Sequential|}(layers);
                }
            }
            """;
        string fixedSource = """
            using System.Collections.Generic;
            using static TorchSharp.torch;
            using static TorchSharp.torch.nn;

            class Models
            {
                Module<Tensor, Tensor> Build()
                {
                    var layers = new List<(string, Module<Tensor, Tensor>)> { ("fc1", Linear(4, 8)), ("s1", GELU()) };
                    layers.Add(("fc2", Linear(8, 8)));
                    layers.Add(("s2", GELU()));
                    layers.Add(("fc3", Linear(8, 8)));
                    layers.Add(("s3", GELU()));
                    layers.Add(("out", Linear(8, 1)));
                    return Sequential(layers);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.GELUKey, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Derived_Sequential_through_base_is_flagged_at_base()
    {
        string source = Usings + """
            class Deep : Sequential
            {
                public Deep() : {|#0:base|}(
                    ("fc1", nn.Linear(4, 8)), ("a1", {|#1:nn.Sigmoid()|}),
                    ("fc2", nn.Linear(8, 8)), ("a2", {|#2:nn.Sigmoid()|}),
                    ("fc3", nn.Linear(8, 8)), ("a3", {|#3:nn.Sigmoid()|}),
                    ("out", nn.Linear(8, 1)))
                {
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Derived_Sequential_through_a_primary_constructor_is_flagged_at_its_base_type()
    {
        string source = Usings + """
            class Deep() : {|#0:Sequential|}(
                ("fc1", nn.Linear(4, 8)), ("a1", {|#1:nn.Sigmoid()|}),
                ("fc2", nn.Linear(8, 8)), ("a2", {|#2:nn.Sigmoid()|}),
                ("fc3", nn.Linear(8, 8)), ("a3", {|#3:nn.Sigmoid()|}),
                ("out", nn.Linear(8, 1)));
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Tuple_pairs_are_read_through_Tuple_Create_and_new_Tuple()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    Tuple.Create("fc1", (nn.Module<Tensor, Tensor>)nn.Linear(4, 8)), Tuple.Create("a1", (nn.Module<Tensor, Tensor>){|#1:nn.Sigmoid()|}),
                    new Tuple<string, nn.Module<Tensor, Tensor>>("fc2", nn.Linear(8, 8)), new Tuple<string, nn.Module<Tensor, Tensor>>("a2", {|#2:nn.Sigmoid()|}),
                    Tuple.Create("fc3", (nn.Module<Tensor, Tensor>)nn.Linear(8, 8)), Tuple.Create("a3", (nn.Module<Tensor, Tensor>){|#3:nn.Sigmoid()|}),
                    Tuple.Create("out", (nn.Module<Tensor, Tensor>)nn.Linear(8, 1)));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Nested_Sequentials_are_one_path_reported_once_on_the_outer_one()
    {
        string source = Usings + """
            class Models
            {
                Sequential Block(int width) => nn.Sequential(nn.Linear(width, width), nn.Sigmoid());

                Sequential Build() => nn.{|#0:Sequential|}(
                    nn.Sequential(nn.Linear(4, 8), {|#1:nn.Sigmoid()|}),
                    nn.Sequential(nn.Linear(8, 8), {|#2:nn.Sigmoid()|}),
                    nn.Sequential(nn.Linear(8, 8), {|#3:nn.Sigmoid()|}),
                    nn.Linear(8, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Near_misses_are_not_flagged()
    {
        string source = Usings + """
            namespace User { class Sigmoid : TorchSharp.torch.nn.Module<Tensor, Tensor> { public Sigmoid() : base("s") { } public override Tensor forward(Tensor x) => x; } }

            class Models
            {
                // Two hidden sigmoids: below the default threshold of three.
                Sequential Shallow() => nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1), nn.Sigmoid());

                // BatchNorm breaks the chain into runs of two.
                Sequential Normalized() => nn.Sequential(
                    nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.BatchNorm1d(8),
                    nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1));

                // ReLU stack.
                Sequential Relu() => nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));

                // A user type that happens to be called Sigmoid.
                Sequential Lookalike() => nn.Sequential(
                    nn.Linear(4, 8), new User.Sigmoid(), nn.Linear(8, 8), new User.Sigmoid(), nn.Linear(8, 8), new User.Sigmoid(), nn.Linear(8, 1));

                // Depth known only at run time: the runtime monitor's job.
                Sequential FromLoop(int depth)
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < depth; i++)
                    {
                        layers.Add(nn.Linear(8, 8));
                        layers.Add(nn.Sigmoid());
                    }
                    return nn.Sequential(layers);
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Threshold_is_configurable_and_an_invalid_value_falls_back_to_three()
    {
        string source = Usings + """
            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(nn.Linear(4, 8), {|#1:nn.Sigmoid()|}, nn.Linear(8, 8), {|#2:nn.Sigmoid()|}, nn.Linear(8, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, "gradientguard.GG0001.min_saturating_activations = 2", Expected(2, 0, 1, 2));
        await Verify.VerifyAnalyzerAsync(source, "gradientguard.GG0001.min_saturating_activations = zero");
    }

    [Fact]
    public async Task Module_class_applying_a_shared_Sigmoid_field_is_flagged_and_the_fix_changes_the_field_type_too()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(4, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 1);
                private readonly {|#1:Sigmoid|} act = {|#2:nn.Sigmoid()|};

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor {|#0:forward|}(Tensor x)
                {
                    x = act.call(fc1.call(x));
                    x = act.call(fc2.call(x));
                    x = act.call(fc3.call(x));
                    return fc4.call(x);
                }
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(4, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 1);
                private readonly ReLU act = nn.ReLU();

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x)
                {
                    x = act.call(fc1.call(x));
                    x = act.call(fc2.call(x));
                    x = act.call(fc3.call(x));
                    return fc4.call(x);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.ReLUKey, Expected(3, 0, 1, 2));
    }

    [Fact]
    public async Task Functional_torch_and_tensor_method_activations_in_forward_are_flagged_and_fixed_in_their_own_form()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(4, 8);
                private readonly nn.Module<Tensor, Tensor> fc2;
                private readonly Linear fc3 = nn.Linear(8, 8);
                private readonly Linear fc4 = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    fc2 = nn.Linear(8, 8);
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x)
                {
                    var h = {|#1:torch.sigmoid(fc1.call(x))|};
                    h = {|#2:nn.functional.tanh(fc2.call(h))|};
                    h = {|#3:fc3.call(h).sigmoid()|};
                    return fc4.call(h).sigmoid();
                }
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(4, 8);
                private readonly nn.Module<Tensor, Tensor> fc2;
                private readonly Linear fc3 = nn.Linear(8, 8);
                private readonly Linear fc4 = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    fc2 = nn.Linear(8, 8);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    var h = nn.functional.relu(fc1.call(x));
                    h = nn.functional.relu(fc2.call(h));
                    h = fc3.call(h).relu();
                    return fc4.call(h).sigmoid();
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.ReLUKey, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Module_class_holding_a_Sequential_built_in_its_constructor_is_read_through_it()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor> body;
                private readonly Linear head = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    body = nn.Sequential(nn.Linear(4, 8), {|#1:nn.Tanh()|}, nn.Linear(8, 8), {|#2:nn.Tanh()|}, nn.Linear(8, 8), {|#3:nn.Tanh()|});
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x) => head.call(body.call(x));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Activations_held_as_the_library_base_type_and_applied_again_are_counted()
    {
        // One Tanh applied three times, held as Module<Tensor, Tensor> like the Linear layers: the forward is read
        // through the members' creations, however few calls name a saturating type.
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor> l1 = nn.Linear(4, 8), l2 = nn.Linear(8, 8), l3 = nn.Linear(8, 8), l4 = nn.Linear(8, 1);
                private readonly nn.Module<Tensor, Tensor> act;

                public Net() : base("net")
                {
                    act = {|#1:nn.Tanh()|};
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x) => l4.call(act.call(l3.call(act.call(l2.call(act.call(l1.call(x)))))));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1));
    }

    [Fact]
    public async Task An_object_initializer_in_the_constructor_setting_a_member_of_the_same_name_is_not_the_fields_assignment()
    {
        // `body = 8` in the initializer sets Settings.body: the field still has one assignment, the Sequential.
        string source = Usings + """
            class Settings { public int body; }

            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor> body;
                private readonly Linear head = nn.Linear(8, 1);
                private readonly Settings settings;

                public Net() : base("net")
                {
                    settings = new Settings { body = 8 };
                    body = nn.Sequential(nn.Linear(4, 8), {|#1:nn.Tanh()|}, nn.Linear(8, 8), {|#2:nn.Tanh()|}, nn.Linear(8, 8), {|#3:nn.Tanh()|});
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x) => head.call(body.call(x));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task Module_classes_with_residual_additions_loops_or_only_an_output_activation_are_not_flagged()
    {
        string source = Usings + """
            class Residual : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 8);
                public Residual() : base("r") { RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    x = x + fc1.call(x).tanh();
                    x = x + fc2.call(x).tanh();
                    x = x + fc3.call(x).tanh();
                    return fc4.call(x);
                }
            }

            class Looped : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc = nn.Linear(8, 8);
                private readonly int depth;
                public Looped(int depth) : base("l") { this.depth = depth; RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    for (int i = 0; i < depth; i++)
                        x = fc.call(x).sigmoid();
                    return x;
                }
            }

            class Classifier : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = nn.Linear(8, 8), fc2 = nn.Linear(8, 1);
                public Classifier() : base("c") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => torch.sigmoid(fc2.call(fc1.call(x).relu()));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Factories_that_bind_only_to_candidates_and_the_nn_alias_are_recognized()
    {
        string source = """
            using TorchSharp.Modules;
            using nn = TorchSharp.torch.nn;

            class Models
            {
                Sequential Build() => nn.{|#0:Sequential|}(
                    nn.Linear(4, 8), {|#1:nn.Sigmoid({|CS1503:"inplace"|})|},
                    nn.Linear(8, 8), {|#2:nn.Sigmoid()|},
                    nn.Linear(8, 8), {|#3:nn.Sigmoid()|},
                    nn.Linear(8, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task A_ModuleList_looped_over_a_compile_time_constant_number_of_times_is_unrolled()
    {
        string source = Usings + """
            class Indexed : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();
                private readonly Linear head = nn.Linear(16, 1);

                public Indexed() : base("indexed")
                {
                    for (int i = 0; i < 4; i++)
                        layers.Add(nn.Linear(16, 16));
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x)
                {
                    for (int i = 0; i < 4; i++)
                        x = {|#1:layers[i].call(x).tanh()|};
                    return head.call(x);
                }
            }

            class Iterated : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();
                private readonly Linear head = nn.Linear(16, 1);

                public Iterated() : base("iterated")
                {
                    layers.Add(nn.Linear(16, 16));
                    for (int i = 0; i < 2; i++)
                        layers.Add(nn.Linear(16, 16));
                    RegisterComponents();
                }

                public override Tensor {|#2:forward|}(Tensor x)
                {
                    foreach (var layer in layers)
                        x = {|#3:torch.sigmoid(layer.call(x))|};
                    return head.call(x);
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(4, 0, 1), Expected(3, 2, 3));
    }

    [Fact]
    public async Task A_ModuleList_whose_size_is_known_only_at_run_time_is_left_to_the_runtime_monitor()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();

                public Net(int depth) : base("net")
                {
                    for (int i = 0; i < depth; i++)
                        layers.Add(nn.Linear(16, 16));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var layer in layers)
                        x = layer.call(x).sigmoid();
                    return x;
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_non_generic_Module_subclass_with_its_own_forward_is_read_too()
    {
        string source = Usings + """
            class Legacy : nn.Module
            {
                private readonly Linear fc1 = nn.Linear(4, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 1);

                public Legacy() : base("legacy") { RegisterComponents(); }

                public Tensor {|#0:forward|}(Tensor x) =>
                    fc4.forward({|#3:fc3.forward({|#2:fc2.forward({|#1:fc1.forward(x).sigmoid()|}).sigmoid()|}).sigmoid()|});
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 3, 2, 1)); // additional locations in source order: outermost first
    }

    [Fact]
    public async Task A_list_filled_in_a_loop_with_a_constant_count_is_replayed_and_the_fix_rewrites_the_loop()
    {
        string source = Usings + """
            class Models
            {
                const int Depth = 4;

                Sequential Build()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < Depth; i++)
                    {
                        layers.Add(nn.Linear(32, 32));
                        layers.Add({|#1:nn.Tanh()|});
                    }
                    layers.Add(nn.Linear(32, 1));
                    return nn.{|#0:Sequential|}(layers);
                }
            }
            """;
        string fixedSource = Usings + """
            class Models
            {
                const int Depth = 4;

                Sequential Build()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < Depth; i++)
                    {
                        layers.Add(nn.Linear(32, 32));
                        layers.Add(nn.ReLU());
                    }
                    layers.Add(nn.Linear(32, 1));
                    return nn.Sequential(layers);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, GG0001ReplaceSaturatingActivationsCodeFix.ReLUKey, Expected(4, 0, 1));
    }

    [Fact]
    public async Task Nested_loops_an_if_on_the_counter_ToArray_and_an_array_filled_by_index_are_replayed()
    {
        string source = Usings + """
            class Models
            {
                Sequential Blocks()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int block = 0; block < 2; block++)
                        for (int i = 0; i < 2; i++)
                        {
                            layers.Add(nn.Linear(16, 16));
                            layers.Add({|#1:nn.Sigmoid()|});
                        }
                    layers.Add(nn.Linear(16, 1));
                    return nn.{|#0:Sequential|}(layers.ToArray());
                }

                Sequential LastWithoutActivation()
                {
                    const int depth = 5;
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < depth; i++)
                    {
                        layers.Add(nn.Linear(16, 16));
                        if (i < depth - 1)
                            layers.Add({|#3:nn.Tanh()|});
                    }
                    return nn.{|#2:Sequential|}(layers);
                }

                Sequential Indexed()
                {
                    var layers = new nn.Module<Tensor, Tensor>[7];
                    for (int i = 0; i < 3; i++)
                    {
                        layers[2 * i] = nn.Linear(16, 16);
                        layers[2 * i + 1] = {|#5:nn.Tanh()|};
                    }
                    layers[6] = nn.Linear(16, 1);
                    return nn.{|#4:Sequential|}(layers);
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(4, 0, 1), Expected(4, 2, 3), Expected(3, 4, 5));
    }

    [Fact]
    public async Task A_ModuleList_filled_in_a_constructor_loop_and_applied_in_a_foreach_is_replayed()
    {
        string source = Usings + """
            class Deep : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<nn.Module<Tensor, Tensor>> layers = new ModuleList<nn.Module<Tensor, Tensor>>();

                public Deep() : base("deep")
                {
                    for (int i = 0; i < 3; i++)
                    {
                        layers.Add(nn.Linear(16, 16));
                        layers.Add({|#1:nn.Sigmoid()|});
                    }
                    layers.Add(nn.Linear(16, 1));
                    RegisterComponents();
                }

                public override Tensor {|#0:forward|}(Tensor x)
                {
                    foreach (var layer in layers)
                        x = layer.forward(x);
                    return x;
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1));
    }

    [Fact]
    public async Task Loops_whose_contents_are_not_known_or_not_saturating_are_not_flagged()
    {
        string source = Usings + """
            class Models
            {
                Sequential RunTimeDepth(int depth)
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < depth; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Tanh()); }
                    return nn.Sequential(layers);
                }

                Sequential Rectified()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 6; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.ReLU()); }
                    return nn.Sequential(layers);
                }

                Sequential Shallow()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 2; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Tanh()); }
                    layers.Add(nn.Linear(16, 1));
                    return nn.Sequential(layers);
                }

                Sequential FilledByAHelper()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 4; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Tanh()); }
                    AddMore(layers);
                    return nn.Sequential(layers);
                }

                Sequential Normalized()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 4; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.LayerNorm(16)); layers.Add(nn.Tanh()); }
                    return nn.Sequential(layers);
                }

                Sequential Breaks()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 4; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Tanh()); if (i == 1) break; }
                    return nn.Sequential(layers);
                }

                static void AddMore(List<nn.Module<Tensor, Tensor>> layers) => layers.Clear();
            }

            class Dynamic : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<nn.Module<Tensor, Tensor>> layers = new ModuleList<nn.Module<Tensor, Tensor>>();

                public Dynamic(int depth) : base("dynamic")
                {
                    for (int i = 0; i < depth; i++) { layers.Add(nn.Linear(16, 16)); layers.Add(nn.Sigmoid()); }
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var layer in layers)
                        x = layer.forward(x);
                    return x;
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_Sequential_field_reported_on_its_construction_is_not_reported_again_on_the_class()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential body;
                private readonly Linear head = nn.Linear(8, 1);

                public Net() : base("net")
                {
                    body = nn.{|#0:Sequential|}(nn.Linear(4, 8), {|#1:nn.Tanh()|}, nn.Linear(8, 8), {|#2:nn.Tanh()|}, nn.Linear(8, 8), {|#3:nn.Tanh()|}, nn.Linear(8, 8));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => head.call(body.call(x).tanh());
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    [Fact]
    public async Task A_class_deriving_Sequential_is_read_through_its_base_call()
    {
        string source = Usings + """
            class Deep : Sequential
            {
                public Deep() : {|#0:base|}(
                    nn.Linear(8, 32), {|#1:nn.Tanh()|},
                    nn.Linear(32, 32), {|#2:nn.Tanh()|},
                    nn.Linear(32, 32), {|#3:nn.Tanh()|},
                    nn.Linear(32, 1)) { }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3));
    }

    // A constructor's base call is read whatever its body names; a body that names Sequential is read at each call that
    // writes the name, a lambda's and a local function's among them.
    [Fact]
    public async Task A_base_call_and_the_Sequentials_its_constructor_body_builds_are_each_read()
    {
        string source = Usings + """
            class Deep : Sequential
            {
                private readonly Sequential head;
                private readonly Sequential tail;

                public Deep() : {|#0:base|}(
                    nn.Linear(8, 32), {|#1:nn.Tanh()|},
                    nn.Linear(32, 32), {|#2:nn.Tanh()|},
                    nn.Linear(32, 32), {|#3:nn.Tanh()|},
                    nn.Linear(32, 1))
                {
                    Func<Sequential> make = () => nn.{|#4:Sequential|}(
                        nn.Linear(8, 8), {|#5:nn.Sigmoid()|}, nn.Linear(8, 8), {|#6:nn.Sigmoid()|}, nn.Linear(8, 8), {|#7:nn.Sigmoid()|}, nn.Linear(8, 1));
                    head = make();
                    tail = Build();

                    Sequential Build() => torch.nn.{|#8:Sequential|}(
                        nn.Linear(8, 8), {|#9:nn.Tanh()|}, nn.Linear(8, 8), {|#10:nn.Tanh()|}, nn.Linear(8, 8), {|#11:nn.Tanh()|}, nn.Linear(8, 1));
                }
            }

            // A Sequential handed to another base class's constructor: in the base call and named there, reported once.
            class Wrapper : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential body;
                public Wrapper(Sequential body) : base("wrapper") { this.body = body; RegisterComponents(); }
                public override Tensor forward(Tensor x) => body.forward(x);
            }

            class Wrapped : Wrapper
            {
                public Wrapped() : base(nn.{|#12:Sequential|}(
                    nn.Linear(8, 8), {|#13:nn.Sigmoid()|}, nn.Linear(8, 8), {|#14:nn.Sigmoid()|}, nn.Linear(8, 8), {|#15:nn.Sigmoid()|}, nn.Linear(8, 1)))
                {
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3), Expected(3, 4, 5, 6, 7), Expected(3, 8, 9, 10, 11), Expected(3, 12, 13, 14, 15));
    }

    // A method group may stand in parentheses or checked(...) before its call (one pair of parentheses would read as a
    // cast): the name's parent is then not the call, yet the call is nn.Sequential's (found by the review of session 23).
    [Fact]
    public async Task A_Sequential_called_through_a_parenthesized_or_checked_method_group_is_read()
    {
        string source = Usings + """
            using static TorchSharp.torch.nn;

            class Models
            {
                Sequential First() => {|#0:((nn.Sequential))|}(
                    nn.Linear(8, 8), {|#1:nn.Sigmoid()|}, nn.Linear(8, 8), {|#2:nn.Sigmoid()|}, nn.Linear(8, 8), {|#3:nn.Sigmoid()|}, nn.Linear(8, 1));
                Sequential Second() => {|#4:checked(nn.Sequential)|}(
                    nn.Linear(8, 8), {|#5:nn.Tanh()|}, nn.Linear(8, 8), {|#6:nn.Tanh()|}, nn.Linear(8, 8), {|#7:nn.Tanh()|}, nn.Linear(8, 1));
                Sequential Third() => {|#8:unchecked((Sequential))|}(
                    Linear(8, 8), {|#9:Tanh()|}, Linear(8, 8), {|#10:Tanh()|}, Linear(8, 8), {|#11:Tanh()|}, Linear(8, 1));
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(3, 0, 1, 2, 3), Expected(3, 4, 5, 6, 7), Expected(3, 8, 9, 10, 11));
    }

    // The top-level statements' body is the file, and a primary constructor's the type: their text holds other members'
    // bodies, whose Sequentials are read (and reported) with those members, once.
    [Fact]
    public async Task Sequentials_of_top_level_statements_of_a_primary_constructor_and_of_the_members_beside_them_are_each_reported_once()
    {
        string source = Usings + """
            var model = nn.{|#0:Sequential|}(
                nn.Linear(8, 8), {|#1:nn.Sigmoid()|}, nn.Linear(8, 8), {|#2:nn.Sigmoid()|}, nn.Linear(8, 8), {|#3:nn.Sigmoid()|}, nn.Linear(8, 1));
            Console.WriteLine(model);

            class Wrapper(Sequential body) : nn.Module<Tensor, Tensor>("wrapper")
            {
                private readonly Sequential body = body;
                public override Tensor forward(Tensor x) => body.forward(x);
            }

            class Wrapped() : Wrapper(nn.{|#4:Sequential|}(
                nn.Linear(8, 8), {|#5:nn.Tanh()|}, nn.Linear(8, 8), {|#6:nn.Tanh()|}, nn.Linear(8, 8), {|#7:nn.Tanh()|}, nn.Linear(8, 1)))
            {
                public static Sequential Spare() => nn.{|#8:Sequential|}(
                    nn.Linear(8, 8), {|#9:nn.Sigmoid()|}, nn.Linear(8, 8), {|#10:nn.Sigmoid()|}, nn.Linear(8, 8), {|#11:nn.Sigmoid()|}, nn.Linear(8, 1));
            }
            """;
        var test = new Verify.Test { TestCode = source };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.AddRange(new[] { Expected(3, 0, 1, 2, 3), Expected(3, 4, 5, 6, 7), Expected(3, 8, 9, 10, 11) });
        await test.RunAsync();
    }

    [Fact]
    public async Task A_class_deriving_Sequential_through_a_global_alias_in_another_file_is_read_too()
    {
        // The rules look for Sequential constructions only in files that name Sequential, unless a global using alias
        // may name it from another file: this file never does.
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Aliases.cs", "global using Stack = TorchSharp.Modules.Sequential;\n"));
        test.TestState.Sources.Add(("/Deep.cs", Usings + """
            class Deep : Stack
            {
                public Deep() : {|#0:base|}(
                    nn.Linear(8, 32), {|#1:nn.Tanh()|},
                    nn.Linear(32, 32), {|#2:nn.Tanh()|},
                    nn.Linear(32, 32), {|#3:nn.Tanh()|},
                    nn.Linear(32, 1)) { }
            }
            """));
        test.ExpectedDiagnostics.Add(Expected(3, 0, 1, 2, 3));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_module_class_whose_Tanh_layers_are_typed_only_in_its_base_class_file_is_read()
    {
        // The forward's own file never names Tanh or Sigmoid: a class is skipped only when none of its files and its
        // base classes' files names them.
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Base.cs", Usings + """
            abstract class Base : nn.Module<Tensor, Tensor>
            {
                protected readonly ModuleList<Tanh> acts = new ModuleList<Tanh>();
                protected Base() : base("net") { }
            }
            """));
        test.TestState.Sources.Add(("/Net.cs", Usings + """
            class Net : Base
            {
            """ + "\n" + ActsForward));
        test.ExpectedDiagnostics.Add(Expected(3, 0, 1, 2, 3));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_module_class_whose_saturating_layers_are_typed_through_a_global_alias_is_read()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Aliases.cs", "global using Squash = TorchSharp.Modules.Sigmoid;\n"));
        test.TestState.Sources.Add(("/Net.cs", Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Squash> acts = new ModuleList<Squash>();
                public Net() : base("net") { RegisterComponents(); }
            """ + "\n" + ActsForward));
        test.ExpectedDiagnostics.Add(Expected(3, 0, 1, 2, 3));
        await test.RunAsync();
    }

    // Three Linear layers, each applied with a saturating activation held in a ModuleList `acts` the class gets elsewhere.
    private const string ActsForward = """
            private readonly Linear fc1 = nn.Linear(4, 8), fc2 = nn.Linear(8, 8), fc3 = nn.Linear(8, 8), fc4 = nn.Linear(8, 1);

            public override Tensor {|#0:forward|}(Tensor x)
            {
                x = {|#1:acts[0].call(fc1.call(x))|};
                x = {|#2:acts[1].call(fc2.call(x))|};
                x = {|#3:acts[2].call(fc3.call(x))|};
                return fc4.call(x);
            }
        }
        """;
}
