using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// Which parameters a model has (the <see cref="Parameter"/> objects of <c>parameters()</c>, in order) and how many
/// modules its tree holds. Training code changes models after a monitor is attached: it replaces a parameter, adds a
/// head, moves the model with <c>to()</c>. <see cref="MayHaveChanged"/> is the per-check test and allocates nothing
/// but the child enumerators: TorchSharp's parameter setters and <c>to()</c> dispose the parameter they replace, so a
/// remembered parameter that is invalid means the set changed, and a module added anywhere in the tree changes the
/// module count (a walk of <c>named_children()</c>, no names built). <see cref="Read"/> is the full walk of
/// <c>parameters()</c>, which builds a name per parameter at every nesting level; the monitor runs it only when the
/// test fires, at weight-norm refresh checks, or on <see cref="GradientMonitor.Refresh"/>.
/// </summary>
internal sealed class ParameterSetFingerprint
{
    private readonly Parameter[] parameters;
    private readonly int moduleCount;

    private ParameterSetFingerprint(Parameter[] parameters, int moduleCount)
    {
        this.parameters = parameters;
        this.moduleCount = moduleCount;
    }

    /// <summary>How many modules the model's tree held (the model itself included).</summary>
    public int ModuleCount => moduleCount;

    /// <summary>The model's parameter set as it is now: the full walk.</summary>
    public static ParameterSetFingerprint Read(nn.Module model)
    {
        var list = new List<Parameter>();
        foreach (var parameter in model.parameters())
            list.Add(parameter);
        return new ParameterSetFingerprint(list.ToArray(), CountModules(model));
    }

    /// <summary>
    /// The cheap per-check test: whether a remembered parameter was disposed (replaced) or the module tree's size
    /// changed (a layer or head added or removed). False does not prove that nothing changed: a parameter registered
    /// on an existing module, or one replaced without disposing the old one, is seen only by the full walk.
    /// </summary>
    public bool MayHaveChanged(nn.Module model)
    {
        foreach (var parameter in parameters)
        {
            if (parameter.IsInvalid)
                return true;
        }
        return CountModules(model) != moduleCount;
    }

    /// <summary>Whether <paramref name="other"/> holds other parameters (by reference) than this one.</summary>
    public bool Differs(ParameterSetFingerprint other)
    {
        if (other.parameters.Length != parameters.Length)
            return true;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!ReferenceEquals(other.parameters[i], parameters[i]))
                return true;
        }
        return false;
    }

    private static int CountModules(nn.Module module)
    {
        int count = 1;
        foreach (var (_, child) in module.named_children())
            count += CountModules(child);
        return count;
    }
}
