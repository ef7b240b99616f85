using System;
using System.Globalization;
using System.IO;
using System.Linq;
using GradientGuard;
using GradientGuard.Demo;
using TorchSharp;
using static TorchSharp.torch;

// Trains the four classic runs under GradientGuard and prints what it saw. Options: --steps N, --seed N, --out DIR.
int steps = 60, seed = 1;
string output = "runs";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--steps" when i + 1 < args.Length && int.TryParse(args[i + 1], out int s) && s > 0: steps = s; i++; break;
        case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r): seed = r; i++; break;
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "--help" or "-h":
            Console.WriteLine("GradientGuard demo: trains four short runs and reports their gradient health.\n" +
                              "  --steps N   training steps per run (default 60)\n  --seed N    random seed (default 1)\n" +
                              "  --out DIR   folder for the JSON Lines logs (default ./runs)");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Try --help.");
            return 2;
    }
}

Directory.CreateDirectory(output);
var verdicts = Scenarios.All.Select(scenario => Run(scenario)).ToList();

Console.WriteLine();
Console.WriteLine($"{"run",-12} {"verdict",-10} {"expected",-10} {"first step",10}  cause / fix");
foreach (var (scenario, verdict, first) in verdicts)
{
    Console.WriteLine($"{scenario.Name,-12} {verdict,-10} {scenario.Expected,-10} {(first?.Step.ToString(CultureInfo.InvariantCulture) ?? "-"),10}  " +
                      (first is null ? "" : $"{first.Cause} -> {first.Advice} [{first.RuleId}]"));
}
Console.WriteLine($"\nJSON Lines logs in {Path.GetFullPath(output)}");
return verdicts.All(v => v.Verdict == v.Scenario.Expected) ? 0 : 1;

(Scenario Scenario, string Verdict, GradientDiagnostic? First) Run(Scenario scenario)
{
    torch.manual_seed(seed);
    Console.WriteLine($"\n== {scenario.Name}: {scenario.Description}");
    using var model = scenario.CreateModel();
    using var monitor = model.MonitorGradients(new GradientMonitorOptions { JsonLinesPath = Path.Combine(output, scenario.Name + ".jsonl") });
    monitor.DiagnosticRaised += (_, d) => Console.WriteLine($"   ! {d}");
    using var optimizer = optim.SGD(model.parameters(), learningRate: scenario.LearningRate);

    for (int step = 1; step <= steps; step++)
    {
        using var scope = NewDisposeScope();
        var (x, y) = scenario.CreateBatch(32);
        optimizer.zero_grad();
        var loss = nn.functional.mse_loss(model.call(x), y);
        loss.backward();
        if (scenario.Clip)
            nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
        var report = monitor.Check(loss);
        if (step == 1 || step % 20 == 0)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "   step {0,4}  loss {1,10:G4}  grad norm {2,10:G4}", step, report.Loss, report.GlobalNorm));
        optimizer.step();
    }

    var first = monitor.Diagnostics.Count > 0 ? monitor.Diagnostics[0] : null;
    string verdict = first is null ? "healthy" : first.Kind switch
    {
        GradientIssueKind.Vanishing => "vanishing",
        _ => "exploding", // exploding norms and the NaN/Infinity they end in
    };
    return (scenario, verdict, first);
}
