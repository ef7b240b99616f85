using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>Puts a check's small result tensors on one device, so they can be read together.</summary>
internal static class DevicePlacement
{
    /// <summary>Moves <paramref name="t"/> to <paramref name="device"/> unless it is there already.</summary>
    public static Tensor OnDevice(Tensor t, Device device) => IsOn(t, device) ? t : t.to(device);

    /// <summary>Whether <paramref name="t"/> is on <paramref name="device"/>.</summary>
    public static bool IsOn(Tensor t, Device device) =>
        // Device has no value equality (== compares references): compare its parts, or every tensor would be copied.
        t.device_type == device.type && t.device_index == device.index;
}
