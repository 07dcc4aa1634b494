namespace OpmlNode.Inference;

/// <summary>
/// The reference (oracle) backend: a direct, element-at-a-time transcription of OPS §5. Slow and obvious on purpose;
/// every other backend is tested against it by tensor root.
/// </summary>
public sealed class ScalarOps : IOpBackend
{
    public static readonly ScalarOps Instance = new();

    public string Name => "scalar";

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        output.Clear();
        switch (d.Op)
        {
            case OpCode.MatMul: MatMul(d, ins, output); break;
            case OpCode.Add: Add(d, ins, output); break;
            case OpCode.Mul: Mul(d, ins, output); break;
            case OpCode.Requant: Requant(d, ins, output); break;
            case OpCode.Lut: Lut(d, ins, output); break;
            case OpCode.Norm: Norm(d, ins, output); break;
            case OpCode.Softmax: Softmax(d, ins, output); break;
            case OpCode.Rope: Rope(d, ins, output); break;
            case OpCode.Attention: Attention(d, ins, output); break;
            case OpCode.Gather: Gather(d, ins, output); break;
            case OpCode.Argmax: Argmax(d, ins, output); break;
            case OpCode.Concat: Concat(d, ins, output); break;
            case OpCode.ScatterRow: ScatterRow(d, ins, output); break;
            case OpCode.Position: Position(ins, output); break;
            case OpCode.TokenSelect: TokenSelect(d, ins, output); break;
            default: throw new InvalidDescriptorException($"unknown op {d.Op}");
        }
    }

    private static int Get(ReadOnlyMemory<byte>[] ins, NodeDescriptor d, int input, int i) => ElemTypes.Read(ins[input].Span, d.In(input).Type, i);

    internal static void MatMul(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        var a = ins[0].Span; var w = ins[1].Span;
        int rows = d.Output.Rows, n = d.Output.Cols, k = d.In(1).Dims[1], n0 = d.P(4);
        bool bias = (d.P(5) & OpRules.MatMulBias) != 0, pc = (d.P(5) & OpRules.MatMulPerChannel) != 0;
        int pcInput = bias ? 3 : 2;
        for (int m = 0; m < rows; m++)
            for (int j = 0; j < n; j++)
            {
                int acc = 0;
                for (int x = 0; x < k; x++) acc += (sbyte)a[m * k + x] * (sbyte)w[(n0 + j) * k + x];
                if (bias) acc = unchecked(acc + Get(ins, d, 2, n0 + j));
                int v;
                if (d.Output.Type == ElemType.I32) v = acc;
                else
                {
                    int mul = d.P(0), s = d.P(1);
                    if (pc) { mul = Get(ins, d, pcInput, 2 * (n0 + j)); s = Math.Clamp(Get(ins, d, pcInput, 2 * (n0 + j) + 1), 0, OpRules.MaxShift); }
                    v = QMath.Clamp(QMath.Requant(acc, mul, s), d.P(2), d.P(3), d.Output.Type);
                }
                ElemTypes.Write(output, d.Output.Type, m * n + j, v);
            }
    }

    internal static void Add(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        for (int i = 0; i < d.Output.ElementCount; i++)
        {
            long x = (long)Get(ins, d, 0, i) * d.P(0) + (long)Get(ins, d, 1, i) * d.P(4);
            ElemTypes.Write(output, d.Output.Type, i, QMath.Clamp(QMath.RoundShift(x, d.P(1)), d.P(2), d.P(3), d.Output.Type));
        }
    }

    internal static void Mul(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        for (int i = 0; i < d.Output.ElementCount; i++)
        {
            int prod = Get(ins, d, 0, i) * Get(ins, d, 1, i);
            ElemTypes.Write(output, d.Output.Type, i, QMath.Clamp(QMath.Requant(prod, d.P(0), d.P(1)), d.P(2), d.P(3), d.Output.Type));
        }
    }

    internal static void Requant(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        for (int i = 0; i < d.Output.ElementCount; i++)
            ElemTypes.Write(output, d.Output.Type, i, QMath.Clamp(QMath.Requant(Get(ins, d, 0, i), d.P(0), d.P(1)), d.P(2), d.P(3), d.Output.Type));
    }

    internal static void Lut(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        for (int i = 0; i < d.Output.ElementCount; i++)
            ElemTypes.Write(output, d.Output.Type, i, Get(ins, d, 1, Get(ins, d, 0, i) + 128));
    }

    internal static void Norm(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, dim = d.In(0).Cols;
        bool layer = d.P(0) == OpRules.NormLayer, beta = (d.P(5) & OpRules.NormBeta) != 0;
        for (int r = 0; r < rows; r++)
        {
            int s1 = 0, s2 = 0;
            for (int i = 0; i < dim; i++) { int x = Get(ins, d, 0, r * dim + i); s1 += x; s2 += x * x; }
            ulong v = layer ? (ulong)((long)dim * s2 - (long)s1 * s1) : (ulong)dim * (ulong)s2;
            ulong sd = QMath.Isqrt(v + (ulong)d.P(4));
            int inv = (int)((1UL << 30) / sd);
            for (int i = 0; i < dim; i++)
            {
                int x = Get(ins, d, 0, r * dim + i);
                int c = layer ? dim * x - s1 : dim * x;
                long n = QMath.RoundShift((long)c * inv, 16);
                long y = n * Get(ins, d, 1, i) + (beta ? Get(ins, d, 2, i) : 0);
                ElemTypes.Write(output, d.Output.Type, r * dim + i, QMath.Clamp(QMath.RoundShift(y, d.P(1)), d.P(2), d.P(3), d.Output.Type));
            }
        }
    }

    private static int[] ReadLut(ReadOnlyMemory<byte>[] ins, NodeDescriptor d, int input)
    {
        var lut = new int[256];
        for (int i = 0; i < 256; i++) lut[i] = Get(ins, d, input, i);
        return lut;
    }

    internal static void Softmax(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols;
        var lut = ReadLut(ins, d, 1);
        var t = new int[c]; var p = new int[c]; var allowed = new bool[c];
        Array.Fill(allowed, true);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < c; j++) t[j] = QMath.SoftmaxPrescale(Get(ins, d, 0, r * c + j), d.P(0), d.P(1));
            QMath.SoftmaxRow(t, allowed, lut, p);
            for (int j = 0; j < c; j++) ElemTypes.Write(output, ElemType.I32, r * c + j, p[j]);
        }
    }

    internal static void Rope(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols, hd = d.P(0), tableRows = d.In(1).Dims[0];
        int pos0 = Get(ins, d, 2, 0);
        for (int r = 0; r < rows; r++)
        {
            int q = unchecked(pos0 + r);
            for (int col = 0; col < c; col += 2)
            {
                int a = Get(ins, d, 0, r * c + col), b = Get(ins, d, 0, r * c + col + 1);
                int y0 = a, y1 = b;
                if (q >= 0 && q < tableRows)
                {
                    int i = (col % hd) / 2;
                    int cos = Get(ins, d, 1, (q * (hd / 2) + i) * 2), sin = Get(ins, d, 1, (q * (hd / 2) + i) * 2 + 1);
                    y0 = QMath.Clamp(QMath.RoundShift(a * cos - b * sin, 14), int.MinValue, int.MaxValue, ElemType.I8);
                    y1 = QMath.Clamp(QMath.RoundShift(a * sin + b * cos, 14), int.MinValue, int.MaxValue, ElemType.I8);
                }
                ElemTypes.Write(output, ElemType.I8, r * c + col, y0);
                ElemTypes.Write(output, ElemType.I8, r * c + col + 1, y1);
            }
        }
    }

    internal static void Attention(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int flags = d.P(8);
        bool hasPos = (flags & OpRules.AttnPos) != 0, hasMask = (flags & OpRules.AttnMask) != 0, causal = (flags & OpRules.AttnCausal) != 0;
        int h = d.P(4), hkv = d.P(5), lq = d.In(0).Rows, qc = d.In(0).Cols, hd = qc / h, lk = d.In(1).Rows, kc = d.In(1).Cols;
        int pos0 = hasPos ? Get(ins, d, 4, 0) : 0;
        int maskInput = hasPos ? 5 : 4;
        var lut = ReadLut(ins, d, 3);
        var t = new int[lk]; var p = new int[lk]; var allowed = new bool[lk];
        for (int i = 0; i < lq; i++)
        {
            long qpos = (long)pos0 + i;
            for (int j = 0; j < lk; j++)
                allowed[j] = (!causal || j <= qpos) && (!hasMask || Get(ins, d, maskInput, j) != d.P(9));
            for (int head = 0; head < h; head++)
            {
                int g = head / (h / hkv);
                for (int j = 0; j < lk; j++)
                {
                    int x = 0;
                    for (int e = 0; e < hd; e++) x += Get(ins, d, 0, i * qc + head * hd + e) * Get(ins, d, 1, j * kc + g * hd + e);
                    t[j] = QMath.SoftmaxPrescale(x, d.P(6), d.P(7));
                }
                QMath.SoftmaxRow(t, allowed, lut, p);
                for (int e = 0; e < hd; e++)
                {
                    int acc = 0;
                    for (int j = 0; j < lk; j++) acc += p[j] * Get(ins, d, 2, j * kc + g * hd + e);
                    ElemTypes.Write(output, ElemType.I8, i * qc + head * hd + e, QMath.Clamp(QMath.Requant(acc, d.P(0), d.P(1)), d.P(2), d.P(3), ElemType.I8));
                }
            }
        }
    }

    internal static void Gather(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        var table = d.In(0);
        int rowBytes = table.Cols * table.Type.Size();
        for (int r = 0; r < d.Output.Rows; r++)
        {
            int idx = Get(ins, d, 1, d.P(0) + r);
            var dst = output.Slice(r * rowBytes, rowBytes);
            if (idx >= 0 && idx < table.Rows) ins[0].Span.Slice(idx * rowBytes, rowBytes).CopyTo(dst);
            else dst.Clear();
        }
    }

    internal static void Argmax(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols;
        for (int r = 0; r < rows; r++)
        {
            int best = 0, bestV = Get(ins, d, 0, r * c);
            for (int j = 1; j < c; j++)
            {
                int v = Get(ins, d, 0, r * c + j);
                if (v > bestV) { bestV = v; best = j; }
            }
            ElemTypes.Write(output, ElemType.I32, r, best);
        }
    }

    internal static void Concat(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int es = d.Output.Type.Size(), outRow = d.Output.Cols * es;
        for (int r = 0; r < d.Output.Rows; r++)
        {
            int off = r * outRow;
            for (int i = 0; i < ins.Length; i++)
            {
                int len = d.In(i).Cols * es;
                ins[i].Span.Slice(r * len, len).CopyTo(output[off..]);
                off += len;
            }
        }
    }

    internal static void ScatterRow(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        ins[0].Span.CopyTo(output);
        int r = unchecked(Get(ins, d, 2, 0) + d.P(0));
        int rowBytes = d.Output.Cols * d.Output.Type.Size();
        if (r >= 0 && r < d.Output.Rows) ins[1].Span.CopyTo(output.Slice(r * rowBytes, rowBytes));
    }

    internal static void Position(ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int prev1 = ElemTypes.Read(ins[0].Span, ElemType.I32, 1);
        ElemTypes.Write(output, ElemType.I32, 0, prev1);
        ElemTypes.Write(output, ElemType.I32, 1, unchecked(prev1 + 1));
    }

    internal static void TokenSelect(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int n = Get(ins, d, 0, 0), lmax = d.In(0).ElementCount - 1, p = Get(ins, d, 1, 0);
        int tok = p >= 0 && p < Math.Min(n, lmax) ? Get(ins, d, 0, 1 + p) : Get(ins, d, 2, 0);
        ElemTypes.Write(output, ElemType.I32, 0, tok);
    }
}
