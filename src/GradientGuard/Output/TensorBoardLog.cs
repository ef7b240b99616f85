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
        if (double.IsFinite(report.GlobalNorm))
            writer.add_scalar("gradient_norm/global", (float)report.GlobalNorm, step);
        if (report.Loss is double loss && double.IsFinite(loss))
            writer.add_scalar("loss", (float)loss, step);
        foreach (var layer in report.Layers)
        {
            if (double.IsFinite(layer.GradientNorm))
                writer.add_scalar("gradient_norm/" + layer.Name, (float)layer.GradientNorm, step);
        }
        foreach (var diagnostic in report.Diagnostics)
            writer.add_text("diagnostics", diagnostic.ToString(), step);
    }
}
