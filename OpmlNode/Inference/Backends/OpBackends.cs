using OpmlNode.Inference.Backends.Gpu;

namespace OpmlNode.Inference.Backends;

/// <summary>The one place a <see cref="BackendKind"/> becomes a backend.</summary>
public static class OpBackends
{
    /// <summary>Device bytes the ILGPU backend keeps weights resident in when created here.</summary>
    public const long IlgpuWeightCacheBytes = 1L << 30;

    /// <summary>A backend of <paramref name="kind"/>; dispose it when done (a no-op except for ILGPU, which owns a device).</summary>
    public static IOpBackend Create(BackendKind kind) => kind switch
    {
        BackendKind.Cpu => CpuBackend.Instance,
        BackendKind.Scalar => ScalarBackend.Instance,
        BackendKind.Ilgpu => new IlgpuBackend(weightCacheBytes: IlgpuWeightCacheBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown backend"),
    };

    /// <summary>Parses a backend name (cpu, ilgpu, scalar; any case).</summary>
    public static bool TryParse(string? name, out BackendKind kind) =>
        Enum.TryParse(name, ignoreCase: true, out kind) && Enum.IsDefined(kind);

    public static string Names => string.Join(", ", Enum.GetValues<BackendKind>().Select(k => k.ToString().ToLowerInvariant()));
}
