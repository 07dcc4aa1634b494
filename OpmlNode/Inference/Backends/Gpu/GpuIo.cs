using ILGPU;
using ILGPU.Runtime;

namespace OpmlNode.Inference.Backends.Gpu;

/// <summary>A node's device buffers for one <see cref="IlgpuBackend"/> call: descriptor, input views, output view.</summary>
public readonly record struct GpuIo(NodeDescriptor D, ArrayView<byte>[] V, ArrayView<byte> O);
