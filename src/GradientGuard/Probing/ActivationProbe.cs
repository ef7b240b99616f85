using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Probing;

/// <summary>
/// Forward hooks on Sigmoid, Tanh and ReLU-family modules that keep, per module, a two-number reading of its last
/// output: the saturated (or dead) share and the mean local derivative. Readings stay on the device until the next
/// check reads them with everything else, so the hooks never synchronize. Hooks fire only through <c>call()</c>, so a
/// model that runs its layers with <c>forward()</c> may leave one reading from a single pass long ago: a reading older
/// than <see cref="MaxAgeInChecks"/> checks describes another model state and is dropped.
/// </summary>
internal sealed class ActivationProbe : IDisposable
{
    /// <summary>How many checks a reading is used for when no forward pass through <c>call()</c> replaces it.</summary>
    public const int MaxAgeInChecks = 3;

    private readonly List<Site> sites = new();
    private readonly List<Action> removers = new();
    private readonly object gate = new();
    private long checks;
    private static long recordings;

    /// <summary>How many readings the hooks of every probe of the process have recorded; for tests (a stale hook shows).</summary>
    internal static long Recordings => System.Threading.Interlocked.Read(ref recordings);

    public ActivationProbe(nn.Module model)
        : this(FindSites(model), previous: null)
    {
    }

    /// <summary>
    /// Hooks <paramref name="found"/>. With <paramref name="previous"/> (the probe of the monitor's last view), the new
    /// probe continues its count of checks and takes over the readings of the modules both watch, so a rebuild loses
    /// no reading of this step; <paramref name="previous"/> is left to its owner to dispose.
    /// </summary>
    public ActivationProbe(IReadOnlyList<FoundSite> found, ActivationProbe? previous)
    {
        try
        {
            foreach (var (name, kind, activation) in found)
            {
                var site = new Site(name, kind, activation);
                sites.Add(site);
                var remover = activation.register_forward_hook((_, _, output) =>
                {
                    Record(site, output);
                    return output;
                });
                removers.Add(remover.remove);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        if (previous is null)
            return;
        lock (previous.gate)
        {
            checks = previous.checks;
            foreach (var site in sites)
            {
                if (site.Reading is null && previous.sites.Find(s => s.Name == site.Name && ReferenceEquals(s.Module, site.Module)) is { Reading: not null } old)
                    lock (gate)
                        site.Replace(old.TakeReading(), old.RecordedAfterCheck);
            }
        }
    }

    /// <summary>A Sigmoid, Tanh or ReLU-family module of a model, by its name in <c>named_modules()</c>.</summary>
    internal readonly record struct FoundSite(string Name, ActivationKind Kind, nn.Module<Tensor, Tensor> Module);

    /// <summary>The activation modules of <paramref name="model"/> (one <c>named_modules()</c> walk).</summary>
    public static IReadOnlyList<FoundSite> FindSites(nn.Module model)
    {
        var found = new List<FoundSite>();
        foreach (var (name, module) in model.named_modules())
        {
            if (ActivationKinds.Of(module) is { } kind && module is nn.Module<Tensor, Tensor> activation)
                found.Add(new FoundSite(name, kind, activation));
        }
        return found;
    }

    /// <summary>Whether the probe watches exactly <paramref name="found"/> (same names, same module objects).</summary>
    public bool Watches(IReadOnlyList<FoundSite> found)
    {
        if (found.Count != sites.Count)
            return false;
        for (int i = 0; i < found.Count; i++)
        {
            if (found[i].Name != sites[i].Name || !ReferenceEquals(found[i].Module, sites[i].Module))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the probe (with the probes it took over from) has started at least <see cref="MaxAgeInChecks"/> checks:
    /// only then does a check without readings mean that no forward pass ran through <c>call()</c> in that many checks.
    /// </summary>
    public bool HasLivedMaxAge
    {
        get
        {
            lock (gate)
                return checks >= MaxAgeInChecks;
        }
    }

    /// <summary>The activation modules the probe watches.</summary>
    public IReadOnlyList<Site> Sites => sites;

    /// <summary>
    /// Starts a check: the latest reading of each site that ran through <c>call()</c> within the last
    /// <see cref="MaxAgeInChecks"/> checks. Older readings are disposed. Each returned tensor is a new alias of the
    /// reading, made under the lock in the caller's dispose scope: a forward pass on another thread that replaces (and
    /// disposes) the reading meanwhile cannot invalidate it.
    /// </summary>
    public IReadOnlyList<(Site Site, Tensor Reading)> ReadForCheck()
    {
        lock (gate)
        {
            checks++;
            foreach (var site in sites)
            {
                if (site.Reading is not null && checks - site.RecordedAfterCheck > MaxAgeInChecks)
                    site.Replace(null, 0);
            }
            var current = new List<(Site, Tensor)>(sites.Count);
            foreach (var site in sites)
            {
                if (site.Reading is not null)
                    current.Add((site, site.Reading.alias()));
            }
            return current;
        }
    }

    public void Dispose()
    {
        foreach (var remove in removers)
            remove();
        removers.Clear();
        lock (gate)
        {
            foreach (var site in sites)
                site.Replace(null, 0);
        }
    }

    private void Record(Site site, Tensor output)
    {
        System.Threading.Interlocked.Increment(ref recordings);
        using var noGrad = no_grad();
        // The reading must survive the user's dispose scopes: it is ours, and we dispose it ourselves.
        using var scope = NewDisposeScope();
        var y = Sample(output.detach()).to_type(ScalarType.Float32);
        Tensor saturated, derivative;
        switch (site.Kind)
        {
            case ActivationKind.Sigmoid:
                saturated = logical_or(y.lt(0.02), y.gt(0.98)).to_type(ScalarType.Float32).mean();
                derivative = y.mul(y.neg().add(1)).mean();
                break;
            case ActivationKind.Tanh:
                saturated = y.abs().gt(0.98).to_type(ScalarType.Float32).mean();
                derivative = y.mul(y).neg().add(1).mean();
                break;
            default:
                saturated = y.eq(0).to_type(ScalarType.Float32).mean();
                derivative = saturated.neg().add(1);
                break;
        }
        var reading = stack(new[] { saturated, derivative }).DetachFromDisposeScope();
        lock (gate)
            site.Replace(reading, checks);
    }

    /// <summary>
    /// An evenly strided view of about <see cref="SampleSize"/> elements of a large output: the two shares are means,
    /// and a sample this size estimates them to within a percent, while reading a whole convolution's activations on
    /// every forward pass measurably slowed training (a small CNN's step by half again).
    /// </summary>
    private static Tensor Sample(Tensor output)
    {
        long count = output.numel();
        var flat = output.reshape(-1);
        if (count <= 2 * SampleSize)
            return flat;
        long stride = (count + SampleSize - 1) / SampleSize;
        return flat.slice(0, 0, count, stride);
    }

    private const long SampleSize = 16_384;

    /// <summary>One probed activation module and its latest reading.</summary>
    internal sealed class Site
    {
        public Site(string name, ActivationKind kind, nn.Module<Tensor, Tensor> module)
        {
            Name = name;
            Kind = kind;
            Module = module;
        }

        public nn.Module<Tensor, Tensor> Module { get; }

        public string Name { get; }

        public ActivationKind Kind { get; }

        public Tensor? Reading { get; private set; }

        /// <summary>How many checks had started when <see cref="Reading"/> was recorded.</summary>
        public long RecordedAfterCheck { get; private set; }

        /// <summary>Hands the reading over (to a probe that replaces this one) without disposing it.</summary>
        public Tensor? TakeReading()
        {
            var reading = Reading;
            Reading = null;
            return reading;
        }

        public void Replace(Tensor? reading, long recordedAfterCheck)
        {
            Reading?.Dispose();
            Reading = reading;
            RecordedAfterCheck = recordedAfterCheck;
        }
    }
}
