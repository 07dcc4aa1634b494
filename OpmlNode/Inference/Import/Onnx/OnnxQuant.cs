using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Float → integer helpers of the importer (scales, weight tensors); the multiplier rule is ModelSynth's.</summary>
internal static class OnnxQuant
{
    /// <summary>(M, s) with M·2^−s ≈ m for a positive real multiplier (OPS §1.3 converter convention).</summary>
    public static (int M, int S) Multiplier(double m, string what)
    {
        if (!(m > 0) || m >= 1L << 30) throw new OnnxImportException($"{what}: requantisation multiplier {m:G4} is out of range (scales from calibration are degenerate)");
        if (m < Math.Pow(2, -31)) return (1 << 30, 62); // ≈ 0: everything rounds to 0 anyway
        return ModelSynth.Multiplier(m);
    }

    /// <summary>Two multipliers on one shift for Add (|Ma|, |Mb| ≤ 2^30, OPS §5.2).</summary>
    public static (int Ma, int Mb, int S) AddMultipliers(double ra, double rb)
    {
        double big = Math.Max(Math.Abs(ra), Math.Abs(rb));
        if (!(big > 0)) throw new OnnxImportException("Add with zero scales");
        int s = 0;
        while (s < 62 && big * Math.Pow(2, s + 1) <= 1 << 30) s++;
        if (big * Math.Pow(2, s) > 1 << 30) throw new OnnxImportException($"Add multiplier {big:G4} too large");
        return ((int)Math.Round(ra * Math.Pow(2, s)), (int)Math.Round(rb * Math.Pow(2, s)), s);
    }

    public static sbyte I8(double v) => double.IsNaN(v) ? (sbyte)0 : (sbyte)Math.Clamp(Math.Round(v), -128, 127);
    public static short I16(double v) => double.IsNaN(v) ? (short)0 : (short)Math.Clamp(Math.Round(v), -32768, 32767);
    public static int I32(double v) => double.IsNaN(v) ? 0 : (int)Math.Clamp(Math.Round(v), int.MinValue, int.MaxValue);

    public static QTensor I8Tensor(int[] dims, IReadOnlyList<double> v)
    {
        var b = new byte[v.Count];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)I8(v[i]);
        return new QTensor(new TensorSpec(ElemType.I8, dims), b);
    }

    public static QTensor I16Tensor(int[] dims, IReadOnlyList<double> v)
    {
        var b = new byte[2 * v.Count];
        for (int i = 0; i < v.Count; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * i), I16(v[i]));
        return new QTensor(new TensorSpec(ElemType.I16, dims), b);
    }

    public static QTensor I32Tensor(int[] dims, IReadOnlyList<double> v)
    {
        var b = new byte[4 * v.Count];
        for (int i = 0; i < v.Count; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), I32(v[i]));
        return new QTensor(new TensorSpec(ElemType.I32, dims), b);
    }

    /// <summary>The physical 2-D spec [rows, cols] of a logical shape (rank 0 = [1, 1]).</summary>
    public static TensorSpec Spec2D(ElemType t, IReadOnlyList<int> shape)
    {
        int cols = shape.Count == 0 ? 1 : shape[^1];
        int rows = OnnxTensor.CountOf(shape) / Math.Max(cols, 1);
        return new TensorSpec(t, rows, cols);
    }
}
