using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0005PlainRnnAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0005ReplaceRnnWithGruCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0005PlainRnnTests
{
    private const string Usings = """
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private static DiagnosticResult Expected(params int[] locations)
    {
        var result = Verify.Diagnostic(GradientGuard.Analyzers.Rules.GG0005PlainRnnAnalyzer.Rule);
        foreach (int location in locations)
            result = result.WithLocation(location);
        return result;
    }

    [Fact]
    public async Task A_field_typed_RNN_becomes_a_GRU_carrying_its_arguments_and_dropping_nonLinearity()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly {|#1:RNN|} rnn = nn.{|#0:RNN|}(8, 32, 2, nn.NonLinearities.ReLU, true, batchFirst: true, dropout: 0.1);
                private readonly Linear head = nn.Linear(32, 1);

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x) => head.call(rnn.call(x).Item1.select(1, -1));
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly GRU rnn = nn.GRU(8, 32, 2, true, batchFirst: true, dropout: 0.1);
                private readonly Linear head = nn.Linear(32, 1);

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x) => head.call(rnn.call(x).Item1.select(1, -1));
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, 1));
    }

    [Fact]
    public async Task Named_nonLinearity_assigned_in_a_constructor_and_var_locals_are_fixed()
    {
        string source = Usings + """
            class Net
            {
                private readonly {|#1:TorchSharp.Modules.RNN|} rnn;

                public Net()
                {
                    rnn = nn.{|#0:RNN|}(inputSize: 4, hiddenSize: 16, nonLinearity: nn.NonLinearities.Tanh, bidirectional: true);
                    var other = nn.{|#2:RNN|}(4, 16);
                }
            }
            """;
        string fixedSource = Usings + """
            class Net
            {
                private readonly TorchSharp.Modules.GRU rnn;

                public Net()
                {
                    rnn = nn.GRU(inputSize: 4, hiddenSize: 16, bidirectional: true);
                    var other = nn.GRU(4, 16);
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, 1), Expected(2));
    }

    [Fact]
    public async Task LSTM_GRU_RNN_cells_and_a_user_type_named_RNN_are_not_flagged()
    {
        string source = Usings + """
            namespace User { class RNN { public RNN(int a, int b) { } } }

            class Models
            {
                void Build()
                {
                    var lstm = nn.LSTM(4, 16);
                    var gru = nn.GRU(4, 16);
                    var cell = nn.RNNCell(4, 16);
                    var mine = new User.RNN(4, 16);
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task A_factory_whose_one_return_is_the_RNN_is_retyped_with_it()
    {
        string source = Usings + """
            static class Factory
            {
                public static {|#1:RNN|} Expression() => nn.{|#0:RNN|}(4, 8);

                public static {|#3:RNN|} Block()
                {
                    return nn.{|#2:RNN|}(4, 8);
                }

                public static RNN Either(bool small)
                {
                    if (small)
                        return nn.{|#4:RNN|}(4, 4);
                    return nn.{|#5:RNN|}(4, 8);
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source, Expected(0, 1), Expected(2, 3), Expected(4), Expected(5));
    }
}
