using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Backends.Gpu;

/// <summary>
/// GPU backend (ILGPU). Owns one ILGPU <see cref="Context"/> and <see cref="Accelerator"/> (CUDA or OpenCL when present,
/// else ILGPU's CPU accelerator, or the CPU accelerator when forced), loads each kernel once on first use, and for every
/// node uploads the inputs, runs the op's kernels (<see cref="IlgpuKernels"/>) and downloads the output. Integer-only,
/// bit-identical to <see cref="ScalarBackend"/> (tested by tensor root). Device buffers are kept per input slot and grown on
/// demand; weights can optionally stay resident. Thread-safe: calls are serialised by one lock (one device queue).
/// </summary>
public sealed class IlgpuBackend : IOpBackend, IOpKernels<GpuIo>, IDisposable
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
    public IlgpuBackend(bool forceCpu = false, long weightCacheBytes = 0)
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
            d.Parameters.Dispatch(this, new GpuIo(d, views, o));
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

    // ---- kernels (one per op; parameters named in Inference/Ops) ----

    private static int Lo(NodeDescriptor d, int qmin) => (int)Math.Max(qmin, d.Output.Type.Min());
    private static int Hi(NodeDescriptor d, int qmax) => (int)Math.Min(qmax, d.Output.Type.Max());

    private EltArgs Elt(NodeDescriptor d, int m, int s, int mb, int qmin, int qmax)
    {
        int count = d.Output.ElementCount;
        return new()
        {
            TypeA = (int)d.In(0).Type,
            TypeB = d.Inputs.Count > 1 ? (int)d.In(1).Type : 0,
            OutType = (int)d.Output.Type,
            M = m,
            S = s,
            Mb = mb,
            Lo = Lo(d, qmin),
            Hi = Hi(d, qmax),
            Count = count,
            Stride = Th(count),
        };
    }

    public void Add(in AddParams p, GpuIo io) =>
        (_add ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Add))(
            Th(io.D.Output.ElementCount), io.V[0], io.V[1], io.O, Elt(io.D, p.MultiplierA, p.Shift, p.MultiplierB, p.QMin, p.QMax));

    public void Mul(in MulParams p, GpuIo io) =>
        (_mul ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Mul))(
            Th(io.D.Output.ElementCount), io.V[0], io.V[1], io.O, Elt(io.D, p.Multiplier, p.Shift, 0, p.QMin, p.QMax));

    public void Requant(in RequantParams p, GpuIo io) =>
        (_requant ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Requant))(
            Th(io.D.Output.ElementCount), io.V[0], io.O, Elt(io.D, p.Multiplier, p.Shift, 0, p.QMin, p.QMax));

    public void Lut(in LutParams p, GpuIo io)
    {
        int count = io.D.Output.ElementCount;
        (_lut ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, EltArgs>(IlgpuKernels.Lut))(
            Th(count), io.V[0], io.V[1], io.O, new EltArgs { OutType = (int)io.D.Output.Type, Count = count, Stride = Th(count) });
    }

    public void Rope(in RopeParams p, GpuIo io)
    {
        int count = io.D.Output.ElementCount;
        var a = new RopeArgs { C = io.D.In(0).Cols, Hd = p.HeadDim, TableRows = RopeParams.TableRows(io.D), Count = count / 2, Stride = Th(count / 2) };
        (_rope ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, RopeArgs>(IlgpuKernels.Rope))(
            Th(count / 2), io.V[0], io.V[1], io.V[2], io.O, a);
    }

    public void Gather(in GatherParams p, GpuIo io)
    {
        var table = io.D.In(0);
        int bytes = io.D.Output.ByteLength;
        var a = new GatherArgs { RowBytes = table.Cols * table.Type.Size(), TableRows = table.Rows, First = p.First, Count = bytes, Stride = Th(bytes) };
        (_gather ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GatherArgs>(IlgpuKernels.Gather))(
            Th(bytes), io.V[0], io.V[1], io.O, a);
    }

    public void Argmax(in ArgmaxParams p, GpuIo io)
    {
        int rows = io.D.In(0).Rows;
        var a = new SoftmaxArgs { C = io.D.In(0).Cols, InType = (int)io.D.In(0).Type, Count = rows, Stride = Th(rows) };
        (_argmax ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, SoftmaxArgs>(IlgpuKernels.Argmax))(Th(rows), io.V[0], io.O, a);
    }

    public void ScatterRow(in ScatterRowParams p, GpuIo io)
    {
        int bytes = io.D.Output.ByteLength;
        var a = new ScatterArgs { RowBytes = io.D.Output.Cols * io.D.Output.Type.Size(), Rows = io.D.Output.Rows, Offset = p.Offset, Count = bytes, Stride = Th(bytes) };
        (_scatterRow ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ScatterArgs>(IlgpuKernels.ScatterRow))(
            Th(bytes), io.V[0], io.V[1], io.V[2], io.O, a);
    }

    public void Position(in PositionParams p, GpuIo io) =>
        (_position ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>>(IlgpuKernels.Position))(1, io.V[0], io.O);

    public void TokenSelect(in TokenSelectParams p, GpuIo io) =>
        (_tokenSelect ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, int>(IlgpuKernels.TokenSelect))(
            1, io.V[0], io.V[1], io.V[2], io.O, io.D.In(0).ElementCount - 1);

    public void MatMul(in MatMulParams p, GpuIo io)
    {
        var d = io.D;
        bool i32 = d.Output.Type == ElemType.I32;
        int count = d.Output.ElementCount;
        var a = new MatMulArgs
        {
            N = d.Output.Cols,
            K = MatMulParams.K(d),
            N0 = p.N0,
            OutType = (int)d.Output.Type,
            HasBias = p.HasBias ? 1 : 0,
            HasPc = p.PerChannel ? 1 : 0,
            M = p.Multiplier,
            S = p.Shift,
            Lo = i32 ? int.MinValue : Lo(d, p.QMin),
            Hi = i32 ? int.MaxValue : Hi(d, p.QMax),
            Count = count,
            Stride = Th(count),
        };
        var biasV = p.HasBias ? io.V[p.BiasInput] : Dummy;
        var pcV = p.PerChannel ? io.V[p.PerChannelInput] : Dummy;
        if (a.K % 4 == 0 && LittleEndianDevice)
            (_matMulK4 ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>(IlgpuKernels.MatMulK4))(
                Th(count), io.V[0].Cast<int>(), io.V[1].Cast<int>(), biasV, pcV, io.O, a);
        else
            (_matMul ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, MatMulArgs>(IlgpuKernels.MatMul))(
                Th(count), io.V[0], io.V[1], biasV, pcV, io.O, a);
    }

    public void Norm(in NormParams p, GpuIo io)
    {
        var d = io.D;
        int rows = d.In(0).Rows, count = d.Output.ElementCount;
        var a = new NormArgs
        {
            D = d.In(0).Cols,
            Layer = p.IsLayerNorm ? 1 : 0,
            HasBeta = p.HasBeta ? 1 : 0,
            S = p.Shift,
            Eps = p.Epsilon,
            OutType = (int)d.Output.Type,
            Lo = Lo(d, p.QMin),
            Hi = Hi(d, p.QMax),
            InType = (int)d.In(0).Type,
            K = NormParams.InverseBits(d.In(0).Type),
        };
        var stats = IntScratch(_acc, ref _stats, 3L * rows);
        (_normStats ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<int>, NormArgs>(IlgpuKernels.NormStats))(Th(rows), io.V[0], stats, a with { Count = rows, Stride = Th(rows) });
        (_normApply ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, NormArgs>(IlgpuKernels.NormApply))(
            Th(count), io.V[0], io.V[1], p.HasBeta ? io.V[2] : Dummy, stats, io.O, a with { Count = count, Stride = Th(count) });
    }

    public void Softmax(in SoftmaxParams p, GpuIo io)
    {
        var d = io.D;
        int rows = d.In(0).Rows, count = d.Output.ElementCount;
        var a = new SoftmaxArgs { C = d.In(0).Cols, InType = (int)d.In(0).Type, M = p.Multiplier, S = p.Shift };
        var stats = IntScratch(_acc, ref _stats, 2L * rows);
        (_softmaxStats ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, SoftmaxArgs>(IlgpuKernels.SoftmaxStats))(Th(rows), io.V[0], io.V[1], stats, a with { Count = rows, Stride = Th(rows) });
        (_softmaxApply ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, SoftmaxArgs>(IlgpuKernels.SoftmaxApply))(
            Th(count), io.V[0], io.V[1], stats, io.O, a with { Count = count, Stride = Th(count) });
    }

    public void Attention(in AttentionParams p, GpuIo io)
    {
        var d = io.D;
        int h = p.Heads, lq = d.In(0).Rows, qc = d.In(0).Cols, hd = p.HeadDim(d), lk = d.In(1).Rows;
        var a = new AttnArgs
        {
            Lk = lk,
            H = h,
            Hkv = p.KvHeads,
            Hd = hd,
            Qc = qc,
            Kc = d.In(1).Cols,
            HasPos = p.HasPosition ? 1 : 0,
            HasMask = p.HasMask ? 1 : 0,
            Causal = p.Causal ? 1 : 0,
            MaskType = p.HasMask ? (int)d.In(p.MaskInput).Type : 0,
            PadValue = p.PadValue,
            Ms = p.ScoreMultiplier,
            Ss = p.ScoreShift,
            Mo = p.OutMultiplier,
            So = p.OutShift,
            Lo = Lo(d, p.QMin),
            Hi = Hi(d, p.QMax),
        };
        var posV = p.HasPosition ? io.V[p.PositionInput] : Dummy;
        var maskV = p.HasMask ? io.V[p.MaskInput] : Dummy;
        var lut = io.V[AttentionParams.ExpTableInput];
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
            a.Pair0 = (int)p0;
            scoresK(Th(n * lk), io.V[0], io.V[1], scores, a with { Count = n * lk, Stride = Th(n * lk) });
            statsK(Th(n), scores, lut, posV, maskV, stats, a with { Count = n, Stride = Th(n) });
            outK(Th(n * hd), scores, io.V[2], lut, posV, maskV, stats, io.O, a with { Count = n * hd, Stride = Th(n * hd) });
        }
    }

    public void Concat(in ConcatParams p, GpuIo io)
    {
        var d = io.D;
        int es = d.Output.Type.Size(), bytes = d.Output.ByteLength;
        Span<int> w = stackalloc int[NodeDescriptor.MaxInputs];
        var views = new ArrayView<byte>[NodeDescriptor.MaxInputs];
        for (int i = 0; i < NodeDescriptor.MaxInputs; i++)
        {
            w[i] = i < io.V.Length ? d.In(i).Cols * es : 0;
            views[i] = i < io.V.Length ? io.V[i] : Dummy;
        }
        var a = new ConcatArgs { OutRowBytes = d.Output.Cols * es, W0 = w[0], W1 = w[1], W2 = w[2], W3 = w[3], W4 = w[4], W5 = w[5], W6 = w[6], W7 = w[7], Count = bytes, Stride = Th(bytes) };
        (_concat ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ConcatArgs>(IlgpuKernels.Concat))(
            Th(bytes), views[0], views[1], views[2], views[3], views[4], views[5], views[6], views[7], io.O, a);
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

