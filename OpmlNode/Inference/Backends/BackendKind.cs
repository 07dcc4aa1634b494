namespace OpmlNode.Inference.Backends;

/// <summary>The native backends a node can run inference on (the VM backend is for disputes, not selectable here).</summary>
public enum BackendKind
{
    /// <summary><see cref="CpuBackend"/>: SIMD on this CPU.</summary>
    Cpu,
    /// <summary><see cref="Gpu.IlgpuBackend"/>: CUDA/OpenCL through ILGPU, or ILGPU's CPU accelerator without a GPU.</summary>
    Ilgpu,
    /// <summary><see cref="ScalarBackend"/>: the reference formulas (slow).</summary>
    Scalar,
}
