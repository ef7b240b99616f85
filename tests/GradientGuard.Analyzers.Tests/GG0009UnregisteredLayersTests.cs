using System.Threading.Tasks;
using GradientGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Verify = GradientGuard.Analyzers.Tests.Verifiers.CodeFixVerifier<
    GradientGuard.Analyzers.Rules.GG0009UnregisteredLayersAnalyzer,
    GradientGuard.Analyzers.CodeFixes.GG0009UseModuleListCodeFix>;

namespace GradientGuard.Analyzers.Tests;

public sealed class GG0009UnregisteredLayersTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    private static DiagnosticResult Expected(int location, string field, string what, string container, string replacement) =>
        Verify.Diagnostic(GG0009UnregisteredLayersAnalyzer.Rule).WithLocation(location).WithArguments(field, what, container, replacement);

    [Fact]
    public async Task A_List_of_layers_becomes_a_ModuleList_with_its_creations()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly List<Linear> {|#0:layers|} = new List<Linear>();

                public Net() : base("net")
                {
                    for (int i = 0; i < 4; i++)
                        layers.Add(nn.Linear(8, 8));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var layer in layers)
                        x = layer.call(x).relu();
                    return x;
                }
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> layers = new ModuleList<Linear>();

                public Net() : base("net")
                {
                    for (int i = 0; i < 4; i++)
                        layers.Add(nn.Linear(8, 8));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var layer in layers)
                        x = layer.call(x).relu();
                    return x;
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, "layers", "modules", "List", "ModuleList<T>"));
    }

    [Fact]
    public async Task An_array_with_elements_becomes_a_ModuleList_and_its_Length_a_Count()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly nn.Module<Tensor, Tensor>[] {|#0:blocks|};

                public Net() : base("net")
                {
                    blocks = new nn.Module<Tensor, Tensor>[] { nn.Linear(8, 8), nn.ReLU() };
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    for (int i = 0; i < blocks.Length; i++)
                        x = blocks[i].call(x);
                    return x;
                }
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks;

                public Net() : base("net")
                {
                    blocks = new ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(8, 8), nn.ReLU());
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    for (int i = 0; i < blocks.Count; i++)
                        x = blocks[i].call(x);
                    return x;
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource, Expected(0, "blocks", "modules", "array", "ModuleList<T>"));
    }

    [Fact]
    public async Task A_List_of_parameters_becomes_a_ParameterList_and_a_string_keyed_Dictionary_a_ModuleDict()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly List<Parameter> {|#0:scales|} = new();
                private readonly Dictionary<string, Linear> {|#1:heads|} = new Dictionary<string, Linear>();

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x) => x;
            }
            """;
        string fixedSource = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly ParameterList scales = new();
                private readonly ModuleDict<Linear> heads = new ModuleDict<Linear>();

                public Net() : base("net") { RegisterComponents(); }

                public override Tensor forward(Tensor x) => x;
            }
            """;
        await Verify.VerifyCodeFixAsync(source, fixedSource,
            Expected(0, "scales", "parameters", "List", "ParameterList"),
            Expected(1, "heads", "modules", "Dictionary", "ModuleDict<T>"));
    }

    [Fact]
    public async Task Registered_by_hand_ModuleList_fields_plain_data_and_non_modules_are_not_flagged()
    {
        string source = Usings + """
            class Net : nn.Module<Tensor, Tensor>
            {
                private readonly List<Linear> manual = new();
                private readonly Linear[] looped = new Linear[2];
                private readonly ModuleList<Linear> proper = new();
                private readonly List<int> sizes = new();
                private static readonly List<Linear> shared = new();

                public Net() : base("net")
                {
                    for (int i = 0; i < 2; i++)
                    {
                        manual.Add(nn.Linear(4, 4));
                        register_module($"manual{i}", manual[i]);
                        looped[i] = nn.Linear(4, 4);
                    }
                    foreach (var layer in looped)
                        register_module("l" + layer.GetHashCode(), layer);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => x;
            }

            class NotAModule
            {
                private readonly List<Linear> layers = new();
            }

            // A List of the user's own, in a namespace whose last three names are System.Collections.Generic's.
            class OwnList : nn.Module<Tensor, Tensor>
            {
                private readonly Acme.System.Collections.Generic.List<Linear> layers = new();

                public OwnList() : base("own") => RegisterComponents();

                public override Tensor forward(Tensor x) => x;
            }

            namespace Acme.System.Collections.Generic
            {
                class List<T>
                {
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }
}
