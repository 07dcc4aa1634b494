using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace OpmlNode.Inference.Gpu;

/// <summary>
/// GPU backend (ILGPU). Owns one ILGPU <see cref="Context"/> and <see cref="Accelerator"/> (CUDA or OpenCL when present,
/// else ILGPU's CPU accelerator, or the CPU accelerator when forced), loads each kernel once on first use, and for every
/// node uploads the inputs, runs the op's kernels (<see cref="IlgpuKernels"/>) and downloads the output. Integer-only,
/// bit-identical to <see cref="ScalarOps"/> (tested by tensor root). Device buffers are kept per input slot and grown on
/// demand; weights can optionally stay resident. Thread-safe: calls are serialised by one lock (one device queue).
/// </summary>
public sealed class IlgpuOpBackend : IOpBackend, IDisposable
{
    private const int OutputSlot = NodeDescriptor.MaxInputs;
    /// <summary>Attention scores held on the device at once (ints); pairs (row, head) are processed in chunks below this.</summary>
    private const int MaxScoreInts = 1 << 24;

    private readonly Context _context;
    private readonly Accelerator _acc;
    private readonly object _gate = new();
    private readonly MemoryBuffer1D<byte, Stride1D.Dense>?[] _slots = new MemoryBuffer1D<byte, Stride1D.Dense>?[NodeDescriptor.MaxInputs + 1];
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> _dummy;
    private MemoryBuffer1D<int, Stride1D.Dense>? _stats, _scores;
    private readonly int _maxThreads;
    private readonly long _weightCacheBytes;
    private readonly Dictionary<(byte[] Array, int Offset, int Length), MemoryBuffer1D<byte, Stride1D.Dense>> _weights = new(WeightKeyComparer.Instance);
    private long _weightBytes;
    private bool _disposed;

    // Kernels, loaded on first use.
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>? _matMul;
    private Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>? _matMulK4;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>? _add, _mul, _lut;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, EltArgs>? _requant;
    private Action<Index1D, ArrayView<byte>, ArrayView<int>, NormArgs>? _normStats;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, NormArgs>? _normApply;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, SoftmaxArgs>? _softmaxStats;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, SoftmaxArgs>? _softmaxApply;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, RopeArgs>? _rope;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, AttnArgs>? _attnScores;
    private Action<Index1D, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, AttnArgs>? _attnStats;
    private Action<Index1D, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, AttnArgs>? _attnOut;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GatherArgs>? _gather;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, SoftmaxArgs>? _argmax;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ConcatArgs>? _concat;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ScatterArgs>? _scatterRow;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>>? _position;
    private Action<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, int>? _tokenSelect;

    /// <param name="forceCpu">Use ILGPU's CPU accelerator even when a CUDA/OpenCL device exists.</param>
    /// <param name="weightCacheBytes">
    /// Device bytes for keeping <see cref="RefKind.Weight"/> inputs resident between calls (0 = off). Weights are keyed
    /// by the identity of their backing array, offset and length, so a cached weight array must never be mutated
    /// (weights are immutable by protocol: they are committed in the model's weights root).
    /// </param>
    public IlgpuOpBackend(bool forceCpu = false, long weightCacheBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightCacheBytes);
        _weightCacheBytes = weightCacheBytes;
        _context = forceCpu ? Context.Create(b => b.CPU().Optimize(OptimizationLevel.O1)) : Context.Create(b => b.Default().Optimize(OptimizationLevel.O1));
        try
        {
            _acc = forceCpu ? _context.CreateCPUAccelerator(0) : _context.GetPreferredDevice(preferCPU: false).CreateAccelerator(_context);
        }
        catch
        {
            _context.Dispose();
            throw;
        }
        _dummy = _acc.Allocate1D<byte>(4);
        _dummy.MemSetToZero();
        _maxThreads = MaxThreads(_acc);
    }

    private static int MaxThreads(Accelerator acc) =>
        acc.AcceleratorType == AcceleratorType.CPU ? acc.MaxNumThreads : (int)Math.Min(1 << 22, 4L * acc.MaxNumThreads);

    public string Name => $"ilgpu-{_acc.AcceleratorType}";

    /// <summary>The device in use (e.g. "CPUAccelerator", a CUDA device name).</summary>
    public string DeviceName => _acc.Name;

    public AcceleratorType AcceleratorType => _acc.AcceleratorType;

    /// <summary>Little-endian device: always true for the devices ILGPU supports; the int32-word MatMul kernel relies on it.</summary>
    private static bool LittleEndianDevice => BitConverter.IsLittleEndian;

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var views = new ArrayView<byte>[ins.Length];
            for (int i = 0; i < ins.Length; i++)
                views[i] = d.Inputs[i].Kind == RefKind.Weight && CachedWeight(inputs[i], ins[i]) is { } w ? w : Upload(i, ins[i].Span);
            var o = Slot(OutputSlot, output.Length);
            Run(d, views, o);
            _acc.Synchronize();
            o.SubView(0, output.Length).CopyToCPU(output);
        }
    }

    // ---- buffers ----

    private ArrayView<byte> Slot(int slot, long length)
    {
        var b = _slots[slot];
        if (b is null || b.Length < length)
        {
            b?.Dispose();
            _slots[slot] = b = _acc.Allocate1D<byte>(Grow(b?.Length ?? 0, length));
        }
        return b.View;
    }

    private static long Grow(long have, long need) => Math.Max(need, Math.Min(have * 2, TensorSpec.MaxBytes));

    private ArrayView<byte> Upload(int slot, ReadOnlySpan<byte> data)
    {
        var v = Slot(slot, data.Length).SubView(0, data.Length);
        v.CopyFromCPU(data);
        return v;
    }

    /// <summary>The resident copy of a weight input, uploading it on first use; null when caching is off or does not apply.</summary>
    private ArrayView<byte>? CachedWeight(ReadOnlyMemory<byte> given, ReadOnlyMemory<byte> prepared)
    {
        if (_weightCacheBytes == 0 || given.Length != prepared.Length || !MemoryMarshal.TryGetArray(given, out var seg) || seg.Array is null) return null;
        var key = (seg.Array, seg.Offset, seg.Count);
        if (_weights.TryGetValue(key, out var buf)) return ((ArrayView<byte>)buf.View).SubView(0, seg.Count);
        if (seg.Count > _weightCacheBytes) return null;
        if (_weightBytes + seg.Count > _weightCacheBytes) ClearWeights();
        buf = _acc.Allocate1D<byte>(Math.Max(seg.Count, 1));
        ((ArrayView<byte>)buf.View).SubView(0, seg.Count).CopyFromCPU(prepared.Span);
        _weights.Add(key, buf);
        _weightBytes += seg.Count;
        return ((ArrayView<byte>)buf.View).SubView(0, seg.Count);
    }

    private void ClearWeights()
    {
        foreach (var b in _weights.Values) b.Dispose();
        _weights.Clear();
        _weightBytes = 0;
    }

    /// <summary>Weight cache keys compare the array by reference.</summary>
    private sealed class WeightKeyComparer : IEqualityComparer<(byte[] Array, int Offset, int Length)>
    {
        public static readonly WeightKeyComparer Instance = new();

        public bool Equals((byte[] Array, int Offset, int Length) x, (byte[] Array, int Offset, int Length) y) =>
            ReferenceEquals(x.Array, y.Array) && x.Offset == y.Offset && x.Length == y.Length;

        public int GetHashCode((byte[] Array, int Offset, int Length) k) => HashCode.Combine(RuntimeHelpers.GetHashCode(k.Array), k.Offset, k.Length);
    }

    private static ArrayView<int> IntScratch(Accelerator acc, ref MemoryBuffer1D<int, Stride1D.Dense>? buf, long length)
    {
        if (buf is null || buf.Length < length)
        {
            buf?.Dispose();
            buf = acc.Allocate1D<int>(Grow(buf?.Length ?? 0, Math.Max(length, 1)));
        }
        return buf.View.SubView(0, Math.Max(length, 1));
    }

    private ArrayView<byte> Dummy => _dummy.View;

    /// <summary>
    /// Threads to launch for <paramref name="count"/> work items. Every kernel is a grid-stride loop, so launches are
    /// capped at a few waves of the device (<see cref="_maxThreads"/>): on a GPU that is full occupancy, and on ILGPU's CPU
    /// accelerator it avoids paying its per-group thread synchronisation once per 16 elements.
    /// </summary>
    private int Th(int count) => Math.Max(1, Math.Min(count, _maxThreads));

    // ---- dispatch ----

    private static int Lo(NodeDescriptor d) => (int)Math.Max(d.P(2), d.Output.Type.Min());
    private static int Hi(NodeDescriptor d) => (int)Math.Min(d.P(3), d.Output.Type.Max());

    private void Run(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        int count = d.Output.ElementCount;
        switch (d.Op)
        {
            case OpCode.MatMul: MatMul(d, v, o); break;
            case OpCode.Add:
                (_add ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Add))(
                    Th(count), v[0], v[1], o, Elt(d, bMul: d.P(4)) with { Count = count, Stride = Th(count) });
                break;
            case OpCode.Mul:
                (_mul ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Mul))(
                    Th(count), v[0], v[1], o, Elt(d, bMul: 0) with { Count = count, Stride = Th(count) });
                break;
            case OpCode.Requant:
                (_requant ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Requant))(
                    Th(count), v[0], o, Elt(d, bMul: 0) with { Count = count, Stride = Th(count) });
                break;
            case OpCode.Lut:
                (_lut ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Lut))(
                    Th(count), v[0], v[1], o, new EltArgs { OutType = (int)d.Output.Type, Count = count, Stride = Th(count) });
                break;
            case OpCode.Norm: Norm(d, v, o); break;
            case OpCode.Softmax: Softmax(d, v, o); break;
            case OpCode.Rope:
            {
                var p = new RopeArgs { C = d.In(0).Cols, Hd = d.P(0), TableRows = d.In(1).Dims[0] };
                (_rope ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, RopeArgs>(IlgpuKernels.Rope))(
                    Th(count / 2), v[0], v[1], v[2], o, p with { Count = count / 2, Stride = Th(count / 2) });
                break;
            }
            case OpCode.Attention: Attention(d, v, o); break;
            case OpCode.Gather:
            {
                var table = d.In(0);
                var p = new GatherArgs { RowBytes = table.Cols * table.Type.Size(), TableRows = table.Rows, First = d.P(0) };
                (_gather ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GatherArgs>(IlgpuKernels.Gather))(
                    Th(d.Output.ByteLength), v[0], v[1], o, p with { Count = d.Output.ByteLength, Stride = Th(d.Output.ByteLength) });
                break;
            }
            case OpCode.Argmax:
            {
                var p = new SoftmaxArgs { C = d.In(0).Cols, InType = (int)d.In(0).Type };
                (_argmax ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, SoftmaxArgs>(IlgpuKernels.Argmax))(
                    Th(d.In(0).Rows), v[0], o, p with { Count = d.In(0).Rows, Stride = Th(d.In(0).Rows) });
                break;
            }
            case OpCode.Concat: Concat(d, v, o); break;
            case OpCode.ScatterRow:
            {
                var p = new ScatterArgs { RowBytes = d.Output.Cols * d.Output.Type.Size(), Rows = d.Output.Rows, Offset = d.P(0) };
                (_scatterRow ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ScatterArgs>(IlgpuKernels.ScatterRow))(
                    Th(d.Output.ByteLength), v[0], v[1], v[2], o, p with { Count = d.Output.ByteLength, Stride = Th(d.Output.ByteLength) });
                break;
            }
            case OpCode.Position:
                (_position ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>>(IlgpuKernels.Position))(1, v[0], o);
                break;
            case OpCode.TokenSelect:
                (_tokenSelect ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, int>(IlgpuKernels.TokenSelect))(
                    1, v[0], v[1], v[2], o, d.In(0).ElementCount - 1);
                break;
            default: throw new InvalidDescriptorException($"unknown op {d.Op}");
        }
    }

    private static EltArgs Elt(NodeDescriptor d, int bMul) => new()
    {
        TypeA = (int)d.In(0).Type,
        TypeB = d.Inputs.Count > 1 ? (int)d.In(1).Type : 0,
        OutType = (int)d.Output.Type,
        M = d.P(0),
        S = d.P(1),
        Mb = bMul,
        Lo = Lo(d),
        Hi = Hi(d),
    };

    private void MatMul(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        bool bias = (d.P(5) & OpRules.MatMulBias) != 0, pc = (d.P(5) & OpRules.MatMulPerChannel) != 0;
        var p = new MatMulArgs
        {
            N = d.Output.Cols, K = d.In(1).Dims[1], N0 = d.P(4), OutType = (int)d.Output.Type,
            HasBias = bias ? 1 : 0, HasPc = pc ? 1 : 0, M = d.P(0), S = d.P(1),
            Lo = d.Output.Type == ElemType.I32 ? int.MinValue : Lo(d), Hi = d.Output.Type == ElemType.I32 ? int.MaxValue : Hi(d),
        };
        var biasV = bias ? v[2] : Dummy;
        var pcV = pc ? v[bias ? 3 : 2] : Dummy;
        int count = d.Output.ElementCount;
        if (p.K % 4 == 0 && LittleEndianDevice)
            (_matMulK4 ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>(IlgpuKernels.MatMulK4))(
                Th(count), v[0].Cast<int>(), v[1].Cast<int>(), biasV, pcV, o, p with { Count = count, Stride = Th(count) });
        else
            (_matMul ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>(IlgpuKernels.MatMul))(
                Th(count), v[0], v[1], biasV, pcV, o, p with { Count = count, Stride = Th(count) });
    }

    private void Norm(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        bool beta = (d.P(5) & OpRules.NormBeta) != 0;
        int rows = d.In(0).Rows;
        var p = new NormArgs
        {
            D = d.In(0).Cols, Layer = d.P(0) == OpRules.NormLayer ? 1 : 0, HasBeta = beta ? 1 : 0, S = d.P(1), Eps = d.P(4),
            OutType = (int)d.Output.Type, Lo = Lo(d), Hi = Hi(d),
        };
        var stats = IntScratch(_acc, ref _stats, 2L * rows);
        (_normStats ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<int>, NormArgs>(IlgpuKernels.NormStats))(Th(rows), v[0], stats, p with { Count = rows, Stride = Th(rows) });
        (_normApply ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, NormArgs>(IlgpuKernels.NormApply))(
            Th(d.Output.ElementCount), v[0], v[1], beta ? v[2] : Dummy, stats, o, p with { Count = d.Output.ElementCount, Stride = Th(d.Output.ElementCount) });
    }

    private void Softmax(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        int rows = d.In(0).Rows;
        var p = new SoftmaxArgs { C = d.In(0).Cols, InType = (int)d.In(0).Type, M = d.P(0), S = d.P(1) };
        var stats = IntScratch(_acc, ref _stats, 2L * rows);
        (_softmaxStats ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, SoftmaxArgs>(IlgpuKernels.SoftmaxStats))(Th(rows), v[0], v[1], stats, p with { Count = rows, Stride = Th(rows) });
        (_softmaxApply ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, SoftmaxArgs>(IlgpuKernels.SoftmaxApply))(
            Th(d.Output.ElementCount), v[0], v[1], stats, o, p with { Count = d.Output.ElementCount, Stride = Th(d.Output.ElementCount) });
    }

    private void Attention(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        int flags = d.P(8);
        bool hasPos = (flags & OpRules.AttnPos) != 0, hasMask = (flags & OpRules.AttnMask) != 0;
        int h = d.P(4), lq = d.In(0).Rows, qc = d.In(0).Cols, hd = qc / h, lk = d.In(1).Rows;
        int maskInput = hasPos ? 5 : 4;
        var p = new AttnArgs
        {
            Lk = lk, H = h, Hkv = d.P(5), Hd = hd, Qc = qc, Kc = d.In(1).Cols,
            HasPos = hasPos ? 1 : 0, HasMask = hasMask ? 1 : 0, Causal = (flags & OpRules.AttnCausal) != 0 ? 1 : 0,
            MaskType = hasMask ? (int)d.In(maskInput).Type : 0, PadValue = d.P(9),
            Ms = d.P(6), Ss = d.P(7), Mo = d.P(0), So = d.P(1), Lo = Lo(d), Hi = Hi(d),
        };
        var posV = hasPos ? v[4] : Dummy;
        var maskV = hasMask ? v[maskInput] : Dummy;
        long pairs = (long)lq * h;
        int chunk = (int)Math.Min(pairs, Math.Max(1, MaxScoreInts / lk));
        var scores = IntScratch(_acc, ref _scores, (long)chunk * lk);
        var stats = IntScratch(_acc, ref _stats, 2L * chunk);
        var scoresK = _attnScores ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, AttnArgs>(IlgpuKernels.AttnScores);
        var statsK = _attnStats ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, AttnArgs>(IlgpuKernels.AttnStats);
        var outK = _attnOut ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, AttnArgs>(IlgpuKernels.AttnOut);
        for (long p0 = 0; p0 < pairs; p0 += chunk)
        {
            int n = (int)Math.Min(chunk, pairs - p0);
            p.Pair0 = (int)p0;
            scoresK(Th(n * lk), v[0], v[1], scores, p with { Count = n * lk, Stride = Th(n * lk) });
            statsK(Th(n), scores, v[3], posV, maskV, stats, p with { Count = n, Stride = Th(n) });
            outK(Th(n * hd), scores, v[2], v[3], posV, maskV, stats, o, p with { Count = n * hd, Stride = Th(n * hd) });
        }
    }

    private void Concat(NodeDescriptor d, ArrayView<byte>[] v, ArrayView<byte> o)
    {
        int es = d.Output.Type.Size();
        Span<int> w = stackalloc int[NodeDescriptor.MaxInputs];
        var views = new ArrayView<byte>[NodeDescriptor.MaxInputs];
        for (int i = 0; i < NodeDescriptor.MaxInputs; i++)
        {
            w[i] = i < v.Length ? d.In(i).Cols * es : 0;
            views[i] = i < v.Length ? v[i] : Dummy;
        }
        var p = new ConcatArgs { OutRowBytes = d.Output.Cols * es, W0 = w[0], W1 = w[1], W2 = w[2], W3 = w[3], W4 = w[4], W5 = w[5], W6 = w[6], W7 = w[7] };
        (_concat ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ConcatArgs>(IlgpuKernels.Concat))(
            Th(d.Output.ByteLength), views[0], views[1], views[2], views[3], views[4], views[5], views[6], views[7], o, p with { Count = d.Output.ByteLength, Stride = Th(d.Output.ByteLength) });
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var b in _slots) b?.Dispose();
            ClearWeights();
            _stats?.Dispose();
            _scores?.Dispose();
            _dummy.Dispose();
            _acc.Dispose();
            _context.Dispose();
        }
    }
}
