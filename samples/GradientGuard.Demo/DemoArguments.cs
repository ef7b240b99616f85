using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace GradientGuard.Demo;

/// <summary>The demo's command line.</summary>
internal sealed class DemoArguments
{
    public const string Usage = """
        GradientGuard demo: trains five short classic runs under the gradient monitor and reports what it saw.

        usage: GradientGuard.Demo [--scenario NAME]... [--steps N] [--seed N] [--out DIR]

          --scenario NAME  run only these (sigmoid-mlp, relu-mlp, plain-rnn, gru-clipped, relu-high-lr); default: all five
          --steps N        training steps per run (default 60)
          --seed N         random seed (default 1)
          --out DIR        folder for the JSON Lines logs, TensorBoard event files and report.html (default ./runs)

        The runs also write what the monitor found (vanishing, exploding, ...) to the demo project's
        obj/gradientguard.findings.json, whatever --out says: the findings are about the demo's code, and the next
        `dotnet build samples/GradientGuard.Demo` shows them on its models (GG1001, GG1002).

        The gradientguard tool (dotnet tool install GradientGuard.Tool) renders the report and the verdicts from any run's log.
        """;

    public bool Help { get; private set; }

    public List<string> Scenarios { get; } = new();

    public int Steps { get; private set; } = 60;

    public int Seed { get; private set; } = 1;

    public string? Output { get; private set; }

    /// <summary>Parses the arguments; a mistake is an <see cref="ArgumentException"/> whose message says what is wrong.</summary>
    public static DemoArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new DemoArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--help" or "-h":
                    parsed.Help = true;
                    break;
                case "--steps":
                    parsed.Steps = Positive(arg, Value());
                    break;
                case "--seed":
                    parsed.Seed = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : throw new ArgumentException("--seed needs a whole number.");
                    break;
                case "--out":
                    parsed.Output = Value();
                    break;
                case "--scenario":
                    string name = Value();
                    if (!Demo.Scenarios.All.Any(s => s.Name == name))
                        throw new ArgumentException($"Unknown scenario '{name}'; known: {string.Join(", ", Demo.Scenarios.All.Select(s => s.Name))}.");
                    parsed.Scenarios.Add(name);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }
        return parsed;
    }

    private static int Positive(string option, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{option} needs a whole number above 0.");
}
