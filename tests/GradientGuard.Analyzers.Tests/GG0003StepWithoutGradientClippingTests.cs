using System.Threading.Tasks;
using GradientGuard.Analyzers.CodeFixes;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0003StepWithoutGradientClippingAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0003AddGradientClippingCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0003StepWithoutGradientClippingTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    [Fact]
    public async Task Step_after_backward_in_a_for_loop_is_a_suggestion_and_the_fix_clips_the_model_parameters()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, Tensor y)
                {
                    var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
                    var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
                    for (int epoch = 0; epoch < 10; epoch++)
                    {
                        optimizer.zero_grad();
                        var loss = nn.functional.mse_loss(model.forward(x), y);
                        loss.backward();
                        {|#0:optimizer.step()|};
                    }
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                void Train(Tensor x, Tensor y)
                {
                    var model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
                    var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
                    for (int epoch = 0; epoch < 10; epoch++)
                    {
                        optimizer.zero_grad();
                        var loss = nn.functional.mse_loss(model.forward(x), y);
                        loss.backward();
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
                        optimizer.step();
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task Recurrent_model_makes_it_a_warning_naming_the_LSTM()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly LSTM lstm = nn.LSTM(4, 16);
                private readonly Linear head = nn.Linear(16, 1);
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => head.forward(lstm.forward(x, null).Item1);
            }

            class Trainer
            {
                void Train(IEnumerable<(Tensor, Tensor)> data)
                {
                    var model = new Net();
                    var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
                    foreach (var (x, y) in data)
                    {
                        optimizer.zero_grad();
                        nn.functional.mse_loss(model.forward(x), y).backward();
                        {|#0:optimizer.step()|};
                    }
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Warning).WithLocation(0)
                .WithArguments("optimizer.step()", "; the model holds LSTM 'lstm', whose gradients explode readily"));
    }

    [Fact]
    public async Task Hand_written_recurrence_in_forward_makes_it_a_warning()
    {
        string source = Usings + """
            class Cell : nn.Module<Tensor, Tensor>
            {
                private readonly Linear step = nn.Linear(8, 8);
                public Cell() : base("cell") { RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    var h = x;
                    for (int t = 0; t < 50; t++)
                        h = step.call(h).tanh();
                    return h;
                }
            }

            class Trainer
            {
                void Train(Tensor x)
                {
                    var model = new Cell();
                    var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
                    while (true)
                    {
                        model.forward(x).sum().backward();
                        {|#0:optimizer.step()|};
                    }
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Warning).WithLocation(0)
                .WithArguments("optimizer.step()", "; the model holds a module applied in a loop in forward(), whose gradients explode readily"));
    }

    [Fact]
    public async Task Clipping_between_backward_and_step_is_fine_whichever_clip_is_used()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, bool byValue)
                {
                    var optimizer = optim.Adam(model.parameters());
                    for (int i = 0; i < 3; i++)
                    {
                        model.forward(x).sum().backward();
                        if (byValue)
                            nn.utils.clip_grad_value_(model.parameters(), 0.5);
                        else
                            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                        optimizer.step();
                    }
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Scheduler_step_backward_without_step_lambdas_and_hand_listed_tensors_are_not_flagged()
    {
        string source = Usings + """
            class Trainer
            {
                void Scheduler(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
                    var scheduler = optim.lr_scheduler.StepLR(optimizer, 10);
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    optimizer.step();
                    scheduler.step();
                }

                Tensor InputGradient(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    x.requires_grad = true;
                    model.forward(x).sum().backward();
                    return x.grad!;
                }

                void ThrowsCheck(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    model.forward(x).sum().backward();
                    Action act = () => optimizer.step();
                    Assert(act);
                }

                void LinearRegression(Tensor x, Tensor y)
                {
                    var w = torch.zeros(3, requires_grad: true);
                    var b = torch.zeros(1, requires_grad: true);
                    var optimizer = optim.SGD(new Parameter[] { new Parameter(w), new Parameter(b) }, learningRate: 0.01);
                    for (int i = 0; i < 100; i++)
                    {
                        optimizer.zero_grad();
                        (x.matmul(w) + b - y).pow(2).mean().backward();
                        optimizer.step();
                    }
                }

                static void Assert(Action act) { }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Two_optimizers_each_get_their_own_clip()
    {
        string source = Usings + """
            class Gan
            {
                void Train(Tensor z, nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> critic)
                {
                    var g = optim.Adam(generator.parameters());
                    var c = optim.Adam(critic.parameters());
                    for (int i = 0; i < 5; i++)
                    {
                        critic.forward(generator.forward(z)).mean().backward();
                        {|#0:g.step()|};
                        {|#1:c.step()|};
                    }
                }
            }
            """;
        string fixedSource = Usings + """
            class Gan
            {
                void Train(Tensor z, nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> critic)
                {
                    var g = optim.Adam(generator.parameters());
                    var c = optim.Adam(critic.parameters());
                    for (int i = 0; i < 5; i++)
                    {
                        critic.forward(generator.forward(z)).mean().backward();
                        nn.utils.clip_grad_norm_(generator.parameters(), max_norm: 1.0);
                        g.step();
                        nn.utils.clip_grad_norm_(critic.parameters(), max_norm: 1.0);
                        c.step();
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("g.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(1).WithArguments("c.step()", ""));
    }

    [Fact]
    public async Task Guarded_step_without_braces_gets_a_block_and_an_out_of_scope_model_falls_back_to_the_optimizer()
    {
        string source = Usings + """
            class Trainer
            {
                private optim.Optimizer? opt;

                void Step(Tensor loss, bool training)
                {
                    loss.backward();
                    if (training && opt is not null)
                        {|#0:opt.step()|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                private optim.Optimizer? opt;

                void Step(Tensor loss, bool training)
                {
                    loss.backward();
                    if (training && opt is not null)
                    {
                        nn.utils.clip_grad_norm_(opt.parameters(), max_norm: 1.0);
                        opt.step();
                    }
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("opt.step()", ""));
    }

    // The text gates find the helpers that lead to a step to any depth: Outer is known to lead there only once Middle
    // is, and Middle only once Inner is (each declared after its caller).
    [Theory]
    [InlineData("Update()", "void Update() => optimizer.step();")]
    [InlineData("Outer()", "void Outer() => Middle(); void Middle() => Inner(); void Inner() => optimizer.step();")]
    public async Task Step_in_a_helper_called_after_backward_is_reported_at_the_outermost_call(string call, string helpers)
    {
        string source = Usings + $$"""
            class Trainer
            {
                private readonly optim.Optimizer optimizer;
                public Trainer(nn.Module<Tensor, Tensor> model) { optimizer = optim.Adam(model.parameters()); }

                void Train(Tensor loss)
                {
                    loss.backward();
                    {|#0:{{call}}|};
                }

                {{helpers}}
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments(call, ""));
    }

    [Fact]
    public async Task A_model_local_of_an_inner_block_is_out_of_scope_at_the_step_so_the_fix_clips_the_optimizer_parameters()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, Tensor y)
                {
                    optim.Optimizer optimizer;
                    {
                        var model = nn.Linear(4, 1);
                        optimizer = optim.Adam(model.parameters(), lr: 1e-3);
                    }
                    nn.functional.mse_loss(x, y).backward();
                    {|#0:optimizer.step()|};
                }
            }
            """;
        string fixedSource = Usings + """
            class Trainer
            {
                void Train(Tensor x, Tensor y)
                {
                    optim.Optimizer optimizer;
                    {
                        var model = nn.Linear(4, 1);
                        optimizer = optim.Adam(model.parameters(), lr: 1e-3);
                    }
                    nn.functional.mse_loss(x, y).backward();
                    nn.utils.clip_grad_norm_(optimizer.parameters(), max_norm: 1.0);
                    optimizer.step();
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    // A model field is named at the step without binding the name speculatively when the step's method belongs to the
    // field's type and declares nothing of that name; a local of that name names something else, a loop variable's name
    // is out of scope at the step, and a static method has no instance to take the field from.
    [Theory]
    [InlineData("void Train(Tensor x, Tensor y)", "", "model.parameters()")]
    [InlineData("void Train(Tensor x, Tensor y)", "var model = nn.Linear(4, 1); ", "this.optimizer.parameters()")]
    [InlineData("void Train(Tensor x, Tensor y)", "foreach (var model in new[] { 1 }) { } ", "model.parameters()")]
    [InlineData("static void Train(Tensor x, Tensor y)", "", "this.optimizer.parameters()")]
    public async Task A_model_field_is_clipped_where_the_steps_method_can_name_it(string signature, string declaration, string clipped)
    {
        string Source(string step) => Usings + $$"""
            class Trainer
            {
                private readonly Sequential model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1));
                private readonly optim.Optimizer optimizer;

                public Trainer() { optimizer = optim.Adam(model.parameters(), lr: 1e-3); }

                {{signature}}
                {
                    {{declaration}}nn.functional.mse_loss(x, y).backward();
            {{step}}
                }
            }
            """;
        bool isStatic = signature.StartsWith("static", System.StringComparison.Ordinal);
        string optimizer = isStatic ? "new Trainer().optimizer" : "this.optimizer";
        clipped = clipped.Replace("this.optimizer", optimizer, System.StringComparison.Ordinal);
        string source = Source($"        {{|#0:{optimizer}.step()|}};");
        string fixedSource = Source($"        nn.utils.clip_grad_norm_({clipped}, max_norm: 1.0);\n        {optimizer}.step();");
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments($"{optimizer}.step()", ""));
    }

    // The rule reads each file's bodies itself (FileBodies): every kind of body that can hold a training step is read,
    // not only methods.
    [Fact]
    public async Task Steps_in_accessors_operators_initializers_and_expression_bodies_are_reported()
    {
        string source = Usings + """
            class Trainer
            {
                static readonly Linear model = nn.Linear(3, 1);
                static readonly optim.Optimizer optimizer = optim.SGD(model.parameters(), 0.01);
                static readonly Action train = () => { model.forward(randn(8, 3)).sum().backward(); {|#0:optimizer.step()|}; };
                static Tensor Loss => model.forward(randn(8, 3)).sum();
                int Epoch
                {
                    set { Loss.backward(); {|#1:optimizer.step()|}; }
                }
                Action Run => () => { Loss.backward(); {|#5:optimizer.step()|}; };
                static bool Train(Tensor loss) { loss.backward(); {|#2:optimizer.step()|}; return true; }
                public static Trainer operator +(Trainer t, Tensor loss) { loss.backward(); {|#3:optimizer.step()|}; return t; }
                ~Trainer() { Loss.backward(); {|#4:optimizer.step()|}; }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(1).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(2).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(3).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(4).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(5).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task Top_level_statements_are_analyzed_and_fixed_with_the_file_import_style()
    {
        string source = """
            using TorchSharp;

            var model = torch.nn.Linear(3, 1);
            var optimizer = torch.optim.SGD(model.parameters(), 0.01);
            for (int i = 0; i < 10; i++)
            {
                model.forward(torch.randn(8, 3)).sum().backward();
                {|#0:optimizer.step()|};
            }
            """;
        string fixedSource = """
            using TorchSharp;

            var model = torch.nn.Linear(3, 1);
            var optimizer = torch.optim.SGD(model.parameters(), 0.01);
            for (int i = 0; i < 10; i++)
            {
                model.forward(torch.randn(8, 3)).sum().backward();
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
                optimizer.step();
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = fixedSource };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("gradientguard.GG0003.default_severity = warning", DiagnosticSeverity.Warning)]
    [InlineData("gradientguard.GG0003.default_severity = error", DiagnosticSeverity.Error)]
    [InlineData("gradientguard.GG0003.default_severity = nonsense", DiagnosticSeverity.Info)]
    public async Task Severity_is_configurable_in_editorconfig(string option, DiagnosticSeverity expected)
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    model.forward(x).sum().backward();
                    {|#0:optimizer.step()|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, option,
            Verify.Diagnostic(expected).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task User_types_named_like_TorchSharp_ones_are_not_optimizers()
    {
        string source = """
            namespace TorchSharp.Modules
            {
                class SGD { public void step() { } }
                class Tensor { public void backward() { } }
            }

            class Trainer
            {
                void Train(TorchSharp.Modules.Tensor loss, TorchSharp.Modules.SGD sgd)
                {
                    loss.backward();
                    sgd.step();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_step_that_binds_only_to_candidates_is_still_recognized()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.SGD(model.parameters(), learningRate: 0.1);
                    model.forward(x).sum().backward();
                    {|#0:optimizer.step({|CS1503:"closure written for an older API"|})|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task Aliases_and_a_local_variable_named_nn_do_not_confuse_recognition()
    {
        string source = """
            using TorchSharp;
            using Tensor = TorchSharp.torch.Tensor;
            using nn = TorchSharp.torch.nn;
            using optim = TorchSharp.torch.optim;

            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model, string nnName)
                {
                    var optimizer = optim.Adam(model.parameters());
                    model.forward(x).sum().backward();
                    {|#0:optimizer.step()|};
                    var nnLocal = nnName; // a local that merely looks like the alias
                }

                void Local(Tensor loss)
                {
                    object nn = new object();
                    loss.backward();
                    nn.ToString(); // 'nn' here is a local, not torch.nn
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task A_clip_covers_the_step_of_an_optimizer_passed_in_a_field_a_property_or_made_by_a_factory()
    {
        string source = Usings + """
            class Trainer
            {
                private readonly nn.Module<Tensor, Tensor> model;
                private readonly optim.Optimizer fieldOptimizer;
                public optim.Optimizer PropertyOptimizer { get; private set; }

                public Trainer(nn.Module<Tensor, Tensor> model)
                {
                    this.model = model;
                    fieldOptimizer = optim.Adam(model.parameters());
                    PropertyOptimizer = optim.SGD(model.parameters(), learningRate: 0.1);
                }

                static void Train(Tensor x, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
                {
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 0.5);
                    optimizer.step();
                }

                void WithField(Tensor x)
                {
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(this.model.parameters(), 0.5);
                    this.fieldOptimizer.step();
                }

                void WithProperty(Tensor x)
                {
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_value_(model.parameters(), 0.1);
                    PropertyOptimizer.step();
                }

                void WithFactory(Tensor x)
                {
                    var optimizer = MakeOptimizer(model);
                    model.forward(x).sum().backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    optimizer.step();
                }

                static optim.Optimizer MakeOptimizer(nn.Module<Tensor, Tensor> net) => optim.AdamW(net.parameters());
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Actor_and_critic_each_clipped_before_their_own_step_are_covered()
    {
        string source = Usings + """
            class SoftActorCritic
            {
                public nn.Module<Tensor, Tensor> Actor { get; }
                public nn.Module<Tensor, Tensor> Critic { get; }
                public optim.Optimizer ActorOptimizer { get; }
                public optim.Optimizer CriticOptimizer { get; }

                public SoftActorCritic(nn.Module<Tensor, Tensor> actor, nn.Module<Tensor, Tensor> critic)
                {
                    Actor = actor;
                    Critic = critic;
                    ActorOptimizer = optim.Adam(actor.parameters());
                    CriticOptimizer = optim.Adam(critic.parameters());
                }

                public void Update(Tensor state)
                {
                    CriticOptimizer.zero_grad();
                    Critic.forward(state).mean().backward();
                    nn.utils.clip_grad_norm_(Critic.parameters(), 1.0);
                    CriticOptimizer.step();

                    ActorOptimizer.zero_grad();
                    (-Critic.forward(Actor.forward(state))).mean().backward();
                    nn.utils.clip_grad_norm_(Actor.parameters(), 1.0);
                    ActorOptimizer.step();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_clip_proved_to_belong_to_another_optimizers_model_does_not_cover_the_step()
    {
        string source = Usings + """
            class Gan
            {
                private readonly nn.Module<Tensor, Tensor> generator;
                private readonly nn.Module<Tensor, Tensor> critic;
                private readonly optim.Optimizer criticOptimizer;

                public Gan(nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> critic)
                {
                    this.generator = generator;
                    this.critic = critic;
                    criticOptimizer = optim.Adam(this.critic.parameters());
                }

                void Train(Tensor z)
                {
                    var generatorOptimizer = optim.Adam(generator.parameters());
                    critic.forward(generator.forward(z)).mean().backward();
                    nn.utils.clip_grad_norm_(generator.parameters(), 1.0);
                    generatorOptimizer.step();
                    {|#0:criticOptimizer.step()|};
                }


                void TrainWithTheOtherOptimizersParameters(Tensor z, optim.Optimizer other)
                {
                    var generatorOptimizer = optim.Adam(generator.parameters());
                    critic.forward(generator.forward(z)).mean().backward();
                    nn.utils.clip_grad_norm_(other.parameters(), 1.0);
                    {|#1:generatorOptimizer.step()|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("criticOptimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(1).WithArguments("generatorOptimizer.step()", ""));
    }

    [Fact]
    public async Task Clipping_inside_a_helper_in_another_file_covers_the_step()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Trainer.cs", Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer updater)
                {
                    net.forward(x).sum().backward();
                    Utils.grad_clipping(net, 1.0);
                    updater.step();
                }

                void TrainWithHandWrittenClip(Tensor x, nn.Module<Tensor, Tensor> net)
                {
                    var optimizer = optim.SGD(net.parameters(), learningRate: 0.1);
                    net.forward(x).sum().backward();
                    GradientUtils.ClipGrad(net, 5f);
                    optimizer.step();
                }

                void ClipBeforeBackwardStillCountsForNothing(Tensor x, nn.Module<Tensor, Tensor> net)
                {
                    var optimizer = optim.SGD(net.parameters(), learningRate: 0.1);
                    Utils.grad_clipping(net, 1.0);
                    net.forward(x).sum().backward();
                    {|#0:optimizer.step()|};
                }
            }
            """));
        test.TestState.Sources.Add(("/Utils.cs", Usings + """
            static class Utils
            {
                // D2L's helper: clips through the library call.
                public static void grad_clipping(nn.Module<Tensor, Tensor> net, double theta) =>
                    nn.utils.clip_grad_norm_(net.parameters(), theta);
            }

            static class GradientUtils
            {
                // A hand-written clip: trusted by its name.
                public static void ClipGrad(nn.Module<Tensor, Tensor> model, float maxNorm)
                {
                    foreach (var p in model.parameters())
                        p.grad?.clamp_(-maxNorm, maxNorm);
                }
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation("/Trainer.cs", 28, 9).WithArguments("optimizer.step()", ""));
        await test.RunAsync();
    }

    [Fact]
    public async Task Types_read_at_their_end_report_once_in_a_nested_type_and_follow_helpers_of_other_types_of_the_file()
    {
        // A type's steps are judged at the type's end: a nested type's body must be judged once (not again by the
        // enclosing type), and a helper of another type of the file is read as before.
        string source = Usings + """
            class Outer
            {
                class Inner
                {
                    void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                    {
                        Backward(net, x);
                        {|#0:optimizer.step()|};
                    }

                    void TrainClipped(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                    {
                        Backward(net, x);
                        Clipping.Clip(net);
                        optimizer.step();
                    }

                    static void Backward(nn.Module<Tensor, Tensor> net, Tensor x) => net.forward(x).sum().backward();
                }

                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                {
                    net.forward(x).sum().backward();
                    {|#1:optimizer.step()|};
                }
            }

            static class Clipping
            {
                public static void Clip(nn.Module<Tensor, Tensor> net) => nn.utils.clip_grad_norm_(net.parameters(), 1.0);
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(1).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task A_helper_is_read_when_it_calls_another_files_clipping_method_by_a_name_that_says_nothing()
    {
        // Prepare names no event: it is read because it calls Guard.Bound, a method of another file that clips. Helpers
        // are bound only when their text may lead to an event; this is the case a same-file name test would miss.
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Trainer.cs", Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                {
                    net.forward(x).sum().backward();
                    Prepare(net);
                    optimizer.step();
                }

                static void Prepare(nn.Module<Tensor, Tensor> net) => Guard.Bound(net);
            }
            """));
        test.TestState.Sources.Add(("/Guard.cs", Usings + """
            static class Guard
            {
                public static void Bound(nn.Module<Tensor, Tensor> net) => nn.utils.clip_grad_norm_(net.parameters(), 1.0);
            }
            """));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_helper_whose_backward_runs_in_a_collection_initializers_Add_is_read()
    {
        // Run calls Losses.Add with no "Add" in its text (a collection initializer): a helper of a file where such a
        // method may lead to an event is bound whatever its text says.
        string source = Usings + """
            class Losses : IEnumerable<Tensor>
            {
                public void Add(Tensor loss) => loss.backward();
                public IEnumerator<Tensor> GetEnumerator() => throw new NotSupportedException();
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }

            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                {
                    Run(net.forward(x).sum());
                    {|#0:optimizer.step()|};
                }

                static void Run(Tensor loss) => _ = new Losses { loss };
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }

    [Fact]
    public async Task A_helper_reaching_the_step_through_an_extension_method_and_a_conditional_call_is_read()
    {
        // Update reaches the step through an extension method of its file (a reduced call), which steps through `?.`;
        // a log line that says "stepping" names no step.
        string source = Usings + """
            static class OptimizerSteps
            {
                public static void Apply(this optim.Optimizer optimizer) => optimizer?.step();
            }

            class Trainer
            {
                void Train(Tensor loss, optim.Optimizer optimizer)
                {
                    loss.backward();
                    {|#0:Update(optimizer)|};
                }

                static void Update(optim.Optimizer optimizer)
                {
                    var log = $"stepping {optimizer}";
                    optimizer.Apply();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("Update()", ""));
    }

    [Fact]
    public async Task A_helper_called_through_a_conditional_access_or_a_global_qualified_name_is_followed()
    {
        // The bodies never name step: the gates find the helpers by their names, which every call form writes.
        string source = Usings + """
            class Trainer
            {
                void TrainOne(Tensor loss, optim.Optimizer optimizer, Trainer? other)
                {
                    loss.backward();
                    other?{|#0:.Update(optimizer)|};
                }

                void TrainTwo(Tensor loss, optim.Optimizer optimizer)
                {
                    loss.backward();
                    {|#1:global::Trainer.StepAll(optimizer)|};
                }

                void Update(optim.Optimizer optimizer) => optimizer.step();

                static void StepAll(optim.Optimizer optimizer) => optimizer.step();
            }
            """;
        await Verify.VerifyAnalyzerAsync(source,
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments(".Update()", ""),
            Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(1).WithArguments("global::Trainer.StepAll()", ""));
    }

    [Fact]
    public async Task A_step_and_a_backward_in_another_files_helper_raise_nothing()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/Trainer.cs", Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> net, optim.Optimizer optimizer)
                {
                    Steps.ForwardAndBackward(net, x);
                    optimizer.step();
                    net.forward(x).sum().backward();
                    Steps.Update(optimizer);
                }
            }
            """));
        test.TestState.Sources.Add(("/Steps.cs", Usings + """
            static class Steps
            {
                public static void ForwardAndBackward(nn.Module<Tensor, Tensor> net, Tensor x) => net.forward(x).sum().backward();
                public static void Update(optim.Optimizer optimizer) => optimizer.step();
            }
            """));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_clip_after_the_step_is_reported_once_by_GG0004_not_again_here()
    {
        string source = Usings + """
            class Trainer
            {
                void Train(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    for (int i = 0; i < 3; i++)
                    {
                        optimizer.zero_grad();
                        model.forward(x).sum().backward();
                        optimizer.step();
                        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    }
                }

                void ClipBeforeBackward(Tensor x, nn.Module<Tensor, Tensor> model)
                {
                    var optimizer = optim.Adam(model.parameters());
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                    model.forward(x).sum().backward();
                    optimizer.step();
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_helper_that_is_a_whole_training_step_is_reported_inside_not_again_at_each_call()
    {
        string source = Usings + """
            class Benchmark
            {
                void Run()
                {
                    TrainTimeReport(torch.CPU);
                    TrainTimeReport(torch.CUDA);
                }

                void TrainTimeReport(Device device)
                {
                    var model = nn.Linear(4, 1).to(device);
                    var optimizer = optim.Adam(model.parameters());
                    model.forward(torch.ones(2, 4)).sum().backward();
                    {|#0:optimizer.step()|};
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic(DiagnosticSeverity.Info).WithLocation(0).WithArguments("optimizer.step()", ""));
    }
}
