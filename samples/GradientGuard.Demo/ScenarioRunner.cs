using System;
using System.IO;
using System.Linq;
using GradientGuard.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Demo;

/// <summary>Trains one scenario under the monitor, writing its JSON Lines log and TensorBoard events, and shows it live.</summary>
internal static class ScenarioRunner
{
    public static string Run(Scenario scenario, DemoArguments arguments, string output, TerminalView view)
    {
        torch.manual_seed(arguments.Seed);
        string log = Path.Combine(output, scenario.Name + ".jsonl");
        using var model = scenario.CreateModel();
        using var monitor = model.MonitorGradients(new GradientMonitorOptions
        {
            JsonLinesPath = log,
            TensorBoardLogDir = Path.Combine(output, "tensorboard", scenario.Name),
        });
        monitor.DiagnosticRaised += (_, diagnostic) => view.Diagnostic(diagnostic.ToString());
        using optim.Optimizer optimizer = scenario.Adam ? optim.Adam(model.parameters(), lr: scenario.LearningRate) : optim.SGD(model.parameters(), learningRate: scenario.LearningRate);

        view.Heading(scenario.Name, $"{scenario.Description} (expect {scenario.Expected})");
        for (int step = 1; step <= arguments.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = scenario.CreateBatch(32);
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            if (scenario.Clip)
                nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0); // what GG0003's quick fix inserts
            var report = monitor.Check(loss);
            if (step == 1 || step % Math.Max(1, arguments.Steps / 3) == 0 || step == arguments.Steps)
                view.Bars(new CheckLine(report.Step, report.GlobalNorm, report.Loss, report.Layers.ToDictionary(l => l.Name, l => l.GradientNorm)));
            optimizer.step();
        }
        return log;
    }
}
