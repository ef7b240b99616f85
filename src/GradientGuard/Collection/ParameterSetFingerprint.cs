using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Collection;

/// <summary>
/// Which parameters a model has, as the native handles of <c>parameters()</c> in order. Training code changes models
/// after a monitor is attached: it replaces a parameter (TorchSharp disposes the old one), adds a head, moves the model
/// with <c>to()</c>. Comparing the handles at each check is a walk of the modules' parameter dictionaries, with no
/// native call and no <c>named_modules()</c> walk, and tells the monitor when its view must be rebuilt.
/// </summary>
internal sealed class ParameterSetFingerprint
{
    private IntPtr[] handles;

    public ParameterSetFingerprint(nn.Module model)
    {
        handles = Read(model);
    }

    /// <summary>Whether the model's parameters differ from those of the last call (or construction); remembers the new set.</summary>
    public bool Changed(nn.Module model)
    {
        int i = 0;
        foreach (var parameter in model.parameters())
        {
            // parameters() skips disposed ones, so Handle cannot throw here.
            if (i == handles.Length || parameter.Handle != handles[i])
                return Remember(model);
            i++;
        }
        return i != handles.Length && Remember(model);
    }

    private bool Remember(nn.Module model)
    {
        handles = Read(model);
        return true;
    }

    private static IntPtr[] Read(nn.Module model) => model.parameters().Select(p => p.Handle).ToArray();
}
