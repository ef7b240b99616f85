using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Output;

/// <summary>
/// TensorBoard event files through TorchSharp's own SummaryWriter: per-layer and global gradient norms and the loss as
/// scalars at each check, each diagnostic as text, so the runs open in TensorBoard beside everything else.
/// </summary>
internal sealed class TensorBoardLog
{
    private readonly SummaryWriter writer;

    public TensorBoardLog(string logDirectory)
    {
        writer = utils.tensorboard.SummaryWriter(logDirectory);
    }

    public void WriteCheck(GradientReport report)
    {
        int step = (int)Math.Min(report.Step, int.MaxValue); // SummaryWriter counts steps in an int
        Scalar("gradient_norm/global", report.GlobalNorm, step);
        if (report.Loss is double loss)
            Scalar("loss", loss, step);
        foreach (var layer in report.Layers)
            Scalar("gradient_norm/" + layer.Name, layer.GradientNorm, step);
        foreach (var diagnostic in report.Diagnostics)
            writer.add_text("diagnostics", diagnostic.ToString(), step);
    }

    // TensorBoard scalars are float32: a value beyond its range is left out (the JSON Lines log keeps it exactly).
    private void Scalar(string tag, double value, int step)
    {
        if (float.IsFinite((float)value))
            writer.add_scalar(tag, (float)value, step);
    }
}
