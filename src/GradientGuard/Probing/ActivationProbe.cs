using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GradientGuard.Measurement;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Probing;

/// <summary>
/// Forward hooks on Sigmoid and Tanh modules that keep, per module, a reading of an output that gives two numbers: the
/// saturated share and the mean local derivative. The hooks record only while the probe is armed: from
/// the start, and then from every <c>every</c>-th check to the next one, so the forward passes of one step in
/// <c>every</c> are read (always the one right before a check). A reading stays on the device until that check reads
/// it with everything else (so the hooks never synchronize); the check hands its host numbers back
/// (<see cref="Remember"/>), and they describe the model for <see cref="MaxAge"/> checks: long enough to last until the
/// next sampled step, short enough that a reading from a single <c>call()</c> pass long ago (a model that otherwise runs
/// its layers with <c>forward()</c>, which bypasses hooks) is dropped.
/// </summary>
/// <remarks>
/// Why sample: a reading costs a handful of tensor operations per activation module and forward pass, some 30 to
/// 150 µs each on a CPU; on a 9-ReLU MLP that was about 1 ms of a 16 ms step, a fifth of the monitor's whole budget.
/// Saturation moves over tens of steps, so one step in five tells as much.
/// Why no ReLU family: no detector reads their outputs (dead units are read from the gradients, UnitActivity), and a
/// hooked module costs a managed callback at every forward pass and a reading at every sampled one.
/// </remarks>
internal sealed class ActivationProbe : IDisposable
{
    private readonly List<Site> sites = new();
    private readonly List<Action> removers = new();
    private readonly object gate = new();
    private readonly int every;
    private long checks;
    // Whether the hooks record: set at the start and at every every-th check, until the next check.
    private bool armed = true;
    private static long recordings;

    /// <summary>How many readings the hooks of every probe of the process have recorded; for tests (a stale hook shows).</summary>
    internal static long Recordings => System.Threading.Interlocked.Read(ref recordings);

    /// <summary>
    /// How many checks a reading's numbers describe the model for, with readings every <paramref name="every"/> checks:
    /// until the next sample's reading replaces them, and one check more (a model whose forward passes through
    /// <c>call()</c> run at every step always has a reading; one whose single <c>call()</c> was long ago has none).
    /// </summary>
    public static int MaxAgeFor(int every) => every + 1;

    /// <summary>How many checks a reading's numbers describe the model for.</summary>
    public int MaxAge => MaxAgeFor(every);

    public ActivationProbe(nn.Module model, int every = 1)
        : this(FindSites(model), previous: null, every)
    {
    }

    /// <summary>
    /// Hooks <paramref name="found"/>, recording the forward passes before every <paramref name="every"/>-th check.
    /// With <paramref name="previous"/> (the probe of the monitor's last view), the new probe continues its count of
    /// checks, its arming, and the readings of the modules both watch, so a rebuild loses no reading of this step;
    /// <paramref name="previous"/> is left to its owner to dispose.
    /// </summary>
    public ActivationProbe(IReadOnlyList<FoundSite> found, ActivationProbe? previous, int every)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        this.every = every;
        try
        {
            foreach (var (name, kind, activation) in found)
            {
                var site = new Site(name, kind, activation);
                sites.Add(site);
                var remover = activation.register_forward_hook((_, _, output) =>
                {
                    if (Volatile.Read(ref armed))
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
            armed = previous.armed;
            foreach (var site in sites)
            {
                if (previous.sites.Find(s => s.Name == site.Name && ReferenceEquals(s.Module, site.Module)) is not { } old)
                    continue;
                lock (gate)
                    site.TakeOver(old);
            }
        }
    }

    /// <summary>A Sigmoid or Tanh module of a model, by its name in <c>named_modules()</c>.</summary>
    internal readonly record struct FoundSite(string Name, ActivationKind Kind, nn.Module<Tensor, Tensor> Module);

    /// <summary>The saturating activation modules (Sigmoid, Tanh) of <paramref name="model"/> (one <c>named_modules()</c> walk).</summary>
    public static IReadOnlyList<FoundSite> FindSites(nn.Module model)
    {
        var found = new List<FoundSite>();
        foreach (var (name, module) in model.named_modules())
        {
            if (ActivationKinds.Of(module) is { } kind && kind.IsSaturating() && module is nn.Module<Tensor, Tensor> activation)
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
    /// Whether the probe (with the probes it took over from) has started at least <see cref="MaxAge"/> checks: only then
    /// does a check without a recent reading mean that no forward pass ran through <c>call()</c> in that many checks.
    /// </summary>
    public bool HasLivedMaxAge
    {
        get
        {
            lock (gate)
                return checks >= MaxAge;
        }
    }

    /// <summary>The activation modules the probe watches.</summary>
    public IReadOnlyList<Site> Sites => sites;

    /// <summary>
    /// Starts a check: the readings recorded since the last check, each a new alias in the caller's dispose scope (the
    /// probe lets go of its own handle: a forward pass on another thread records a new reading and cannot invalidate
    /// this one). Arms the hooks until the next check when this check starts a sampling interval. Pass the host numbers
    /// back with <see cref="Remember"/>.
    /// </summary>
    public IReadOnlyList<ProbeSample> ReadForCheck()
    {
        lock (gate)
        {
            checks++;
            var fresh = new List<ProbeSample>(sites.Count);
            foreach (var site in sites)
            {
                if (site.TakeReading() is ({ } reading, long count))
                {
                    fresh.Add(new ProbeSample(site, reading.alias(), count));
                    reading.Dispose();
                }
            }
            Volatile.Write(ref armed, checks % every == 0);
            return fresh;
        }
    }

    /// <summary>Keeps the host numbers of a reading <see cref="ReadForCheck"/> handed out at this check.</summary>
    public void Remember(Site site, double saturatedFraction, double meanDerivative)
    {
        lock (gate)
            site.Last = new ActivationReading(site.Name, site.Kind, saturatedFraction, meanDerivative) { Fresh = true, ReadAtCheck = checks };
    }

    /// <summary>
    /// The readings that describe the model at this check: each site's latest, read at most <see cref="MaxAge"/> checks
    /// ago; <see cref="ActivationReading.Fresh"/> for those read at this very check.
    /// </summary>
    public IReadOnlyList<ActivationReading> Recent()
    {
        lock (gate)
        {
            var recent = new List<ActivationReading>(sites.Count);
            foreach (var site in sites)
            {
                if (site.Last is { } last && checks - last.ReadAtCheck < MaxAge)
                    recent.Add(last.ReadAtCheck == checks ? last : last with { Fresh = false });
            }
            return recent;
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
                site.Replace(null);
        }
    }

    private void Record(Site site, Tensor output)
    {
        System.Threading.Interlocked.Increment(ref recordings);
        using var noGrad = no_grad();
        // The reading must survive the user's dispose scopes: it is ours, and we dispose it ourselves.
        using var scope = NewDisposeScope();
        var y = Sample(output.detach());
        if (y.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            y = y.to_type(ScalarType.Float32);
        // Raw sums only, one to three reductions: the shares and means are divided out on the host from the check's one
        // copy (ProbeSample.Interpret). count_nonzero and dot read the output once without writing a tensor of its
        // size; the arithmetic left to the host was half a dozen more libtorch calls per module and forward pass.
        var reading = site.Kind switch
        {
            // Saturated count, Σy and Σy² (σ' = y(1 - y): its mean is (Σy - Σy²)/n).
            ActivationKind.Sigmoid => stack(new[] { logical_or(y.lt(Probes.SigmoidLow), y.gt(Probes.SigmoidHigh)).count_nonzero().to_type(y.dtype), y.sum(), y.dot(y) }),
            // Saturated count and Σy² (tanh' = 1 - y²: its mean is 1 - Σy²/n).
            ActivationKind.Tanh => stack(new[] { y.abs().gt(Probes.TanhHigh).count_nonzero().to_type(y.dtype), y.dot(y) }),
            _ => throw new InvalidOperationException($"Only Sigmoid and Tanh modules are probed, not {site.Kind}."),
        };
        reading = reading.DetachFromDisposeScope();
        long count = y.numel();
        lock (gate)
            site.Replace(reading, count);
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

    /// <summary>One probed activation module, its reading waiting for a check, and the host numbers of the last one read.</summary>
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

        /// <summary>The device reading recorded since the last check (raw sums, see <see cref="ProbeSample"/>), or null.</summary>
        public Tensor? Reading { get; private set; }

        /// <summary>How many output values <see cref="Reading"/> summarizes.</summary>
        public long ReadingCount { get; private set; }

        /// <summary>The host numbers of the last reading a check read, or null.</summary>
        public ActivationReading? Last { get; set; }

        /// <summary>Hands the device reading over (to a check, or to a probe that replaces this one) without disposing it.</summary>
        public (Tensor? Reading, long Count) TakeReading()
        {
            var reading = Reading;
            Reading = null;
            return (reading, ReadingCount);
        }

        /// <summary>Takes over the waiting reading and the last numbers of the same module in a probe being replaced.</summary>
        public void TakeOver(Site old)
        {
            if (old.TakeReading() is ({ } reading, long count))
                Replace(reading, count);
            Last = old.Last;
        }

        public void Replace(Tensor? reading, long count = 0)
        {
            Reading?.Dispose();
            Reading = reading;
            ReadingCount = count;
        }
    }

    /// <summary>
    /// The scalars of the readings, held for the life of the process. A scalar converted implicitly at a call
    /// (<c>y.gt(0.98)</c>) is a temporary with a finalizer, which a garbage collection may run while libtorch still
    /// reads it; see <see cref="GradientGuard.Measurement.Scalars"/>.
    /// </summary>
    private static class Probes
    {
        public static readonly Scalar SigmoidLow = 0.02;
        public static readonly Scalar SigmoidHigh = 0.98;
        public static readonly Scalar TanhHigh = 0.98;
    }
}
