using System.Buffers.Binary;
using System.Text;

namespace OpmlNode.Inference.Models;

/// <summary>Constants and shared checks of the `.opml` model file format (docs/GRAPH.md §5). All integers little-endian.</summary>
public static class ModelFormat
{
    public static ReadOnlySpan<byte> Magic => "OPMLMODL"u8;
    public const uint Version = 1;
    public const int HeaderSize = 256;
    public const int ArchNameSize = 32;
    public const int WeightRecordSize = 48;
    /// <summary>Weight bytes start on a page boundary so the VM can page-source them from the mapped file.</summary>
    public const int WeightAlignment = 4096;
    /// <summary>Depth of the descriptors list tree and of the weights list tree (PROTOCOL §2.4): at most 2^16 entries.</summary>
    public const int DescriptorsDepth = 16;
    public const int WeightsDepth = 16;
    public const int MaxNodes = 1 << DescriptorsDepth;
    public const int MaxWeights = 1 << WeightsDepth;

    // Header field offsets.
    internal const int OffVersion = 8, OffHeaderSize = 12, OffArch = 16, OffNodes = 48, OffOutput = 52, OffInputLimit = 56,
        OffWeightCount = 60, OffDescriptors = 64, OffWeightTable = 72, OffData = 80, OffFileLength = 88, OffDefaultPasses = 96;

    public static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    internal static string ReadArch(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        if (field[end..].ContainsAnyExcept((byte)0)) throw new InvalidModelException("architecture name: bytes after the terminating zero must be zero");
        foreach (byte c in field[..end])
            if (c is < 0x20 or > 0x7e) throw new InvalidModelException("architecture name must be printable ASCII");
        return Encoding.ASCII.GetString(field[..end]);
    }

    internal static void WriteWeightRecord(Span<byte> rec, WeightInfo w)
    {
        rec.Clear();
        rec[0] = (byte)w.Spec.Type;
        rec[1] = (byte)w.Spec.Rank;
        for (int i = 0; i < w.Spec.Rank; i++) BinaryPrimitives.WriteUInt32LittleEndian(rec[(4 + 4 * i)..], (uint)w.Spec.Dims[i]);
        BinaryPrimitives.WriteInt64LittleEndian(rec[24..], w.Offset);
        BinaryPrimitives.WriteInt64LittleEndian(rec[32..], w.Length);
    }

    internal static WeightInfo ReadWeightRecord(ReadOnlySpan<byte> rec, int w)
    {
        var type = (ElemType)rec[0];
        if (!ElemTypes.IsValid(type)) throw new InvalidModelException($"weight {w}: invalid element type {rec[0]}");
        int rank = rec[1];
        if (rank is < 1 or > TensorSpec.MaxRank) throw new InvalidModelException($"weight {w}: rank {rank} not in 1..4");
        if (rec[2] != 0 || rec[3] != 0 || rec[20..24].ContainsAnyExcept((byte)0) || rec[40..48].ContainsAnyExcept((byte)0))
            throw new InvalidModelException($"weight {w}: reserved bytes must be zero");
        var dims = new int[rank];
        for (int i = 0; i < TensorSpec.MaxRank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32LittleEndian(rec[(4 + 4 * i)..]);
            if (i >= rank) { if (d != 0) throw new InvalidModelException($"weight {w}: unused dim {i} must be 0"); continue; }
            if (d == 0 || d > TensorSpec.MaxBytes) throw new InvalidModelException($"weight {w}: dim {i} = {d} out of range");
            dims[i] = (int)d;
        }
        TensorSpec spec;
        try { spec = new TensorSpec(type, dims); }
        catch (InvalidDescriptorException e) { throw new InvalidModelException($"weight {w}: {e.Message}"); }
        long off = BinaryPrimitives.ReadInt64LittleEndian(rec[24..]), len = BinaryPrimitives.ReadInt64LittleEndian(rec[32..]);
        if (len != spec.ByteLength) throw new InvalidModelException($"weight {w}: byte length {len} does not match {spec} ({spec.ByteLength} bytes)");
        return new WeightInfo(spec, off, len);
    }

    /// <summary>
    /// The cross-node checks of docs/GRAPH.md §5.3: references resolve (weights exist, NODE(k, 0) only for k &lt; j, k &lt; n),
    /// declared input specs equal the producer's output spec or the weight's spec, TASK_INPUT declarations are at
    /// least the input size limit, the output node exists.
    /// </summary>
    public static void ValidateGraph(IReadOnlyList<NodeDescriptor> nodes, IReadOnlyList<TensorSpec> weights, int outputNode, int inputSizeLimit)
    {
        int n = nodes.Count;
        if (n < 1) throw new InvalidModelException("the graph has no nodes");
        if (n > MaxNodes) throw new InvalidModelException($"{n} nodes; at most {MaxNodes}");
        if (weights.Count > MaxWeights) throw new InvalidModelException($"{weights.Count} weights; at most {MaxWeights}");
        if (outputNode < 0 || outputNode >= n) throw new InvalidModelException($"output node {outputNode} out of range (n = {n})");
        if (inputSizeLimit < 0 || inputSizeLimit > TensorSpec.MaxBytes) throw new InvalidModelException($"input size limit {inputSizeLimit} out of range");
        for (int j = 0; j < n; j++)
        {
            var d = nodes[j];
            for (int i = 0; i < d.Inputs.Count; i++)
            {
                var r = d.Inputs[i];
                string where = $"node {j} ({d.Op}) input {i}";
                switch (r.Kind)
                {
                    case RefKind.Weight:
                        if (r.Index >= (uint)weights.Count) throw new InvalidModelException($"{where}: WEIGHT({r.Index}) does not exist ({weights.Count} weights)");
                        if (!r.Spec.Equals(weights[(int)r.Index])) throw new InvalidModelException($"{where}: declares {r.Spec} but WEIGHT({r.Index}) is {weights[(int)r.Index]}");
                        break;
                    case RefKind.TaskInput:
                        if (r.Spec.ByteLength < inputSizeLimit) throw new InvalidModelException($"{where}: TASK_INPUT declared as {r.Spec} ({r.Spec.ByteLength} bytes) is shorter than the input size limit {inputSizeLimit}");
                        break;
                    case RefKind.Node:
                        if (r.Index >= (uint)n) throw new InvalidModelException($"{where}: NODE({r.Index}, {r.Lag}) does not exist (n = {n})");
                        if (r.Lag == 0 && r.Index >= (uint)j) throw new InvalidModelException($"{where}: NODE({r.Index}, 0) refers to a node at or after this one in the same pass (must be < {j})");
                        if (!r.Spec.Equals(nodes[(int)r.Index].Output)) throw new InvalidModelException($"{where}: declares {r.Spec} but node {r.Index} ({nodes[(int)r.Index].Op}) outputs {nodes[(int)r.Index].Output}");
                        break;
                    default:
                        throw new InvalidModelException($"{where}: invalid reference kind");
                }
            }
        }
    }
}
