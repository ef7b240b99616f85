using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Output;

/// <summary>
/// TensorBoard event files through TorchSharp's own SummaryWriter: per-layer and global gradient norms and the loss as
/// scalars at each check, each diagnostic as text, so the runs open in TensorBoard beside everything else.
/// </summary>
internal sealed class TensorBoardLog : IReportSink
{
    private readonly SummaryWriter writer;

    public TensorBoardLog(string logDirectory)
    {
        writer = utils.tensorboard.SummaryWriter(logDirectory);
    }

    public string Description => $"TensorBoard folder '{writer.LogDir}'";

    public void WriteCheck(GradientReport report)
    {
        int step = TensorBoardStep(report.Step);
        Scalar("gradient_norm/global", report.GlobalNorm, step);
        if (report.Loss is double loss)
            Scalar("loss", loss, step);
        foreach (var layer in report.Layers)
            Scalar("gradient_norm/" + layer.Name, layer.GradientNorm, step);
    }

    public void WriteDiagnostic(GradientDiagnostic diagnostic) =>
        writer.add_text("diagnostics", diagnostic.ToString(), TensorBoardStep(diagnostic.Step));

    // SummaryWriter opens and closes its file at each write: there is nothing to close.
    public void Dispose()
    {
    }

    private static int TensorBoardStep(long step) => (int)Math.Min(step, int.MaxValue); // SummaryWriter counts steps in an int

    // TensorBoard scalars are float32: a value beyond its range is left out (the JSON Lines log keeps it exactly).
    private void Scalar(string tag, double value, int step)
    {
        if (float.IsFinite((float)value))
            writer.add_scalar(tag, (float)value, step);
    }
}
