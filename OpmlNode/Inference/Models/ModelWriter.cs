using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace OpmlNode.Inference.Models;

/// <summary>Writes `.opml` files (docs/GRAPH.md §5). The graph is validated first; the file is written to a temporary name and renamed.</summary>
public static class ModelWriter
{
    /// <summary>Byte layout a definition will have: (descriptors offset, weight table offset, data offset, per-weight offsets, file length).</summary>
    public static (long Descriptors, long Table, long Data, long[] WeightOffsets, long FileLength) Layout(int nodes, IReadOnlyList<TensorSpec> weights)
    {
        long desc = ModelFormat.HeaderSize;
        long table = desc + (long)nodes * NodeDescriptor.Size;
        long data = ModelFormat.AlignUp(table + (long)weights.Count * ModelFormat.WeightRecordSize, ModelFormat.WeightAlignment);
        var offsets = new long[weights.Count];
        long at = data;
        for (int w = 0; w < weights.Count; w++)
        {
            offsets[w] = at;
            at = ModelFormat.AlignUp(at + weights[w].ByteLength, ModelFormat.WeightAlignment);
        }
        // The file ends right after the last weight's bytes (no trailing padding).
        long end = weights.Count == 0 ? data : offsets[^1] + weights[^1].ByteLength;
        return (desc, table, data, offsets, end);
    }

    public static void Write(string path, ModelDefinition m, IProgress<long>? bytesWritten = null) => Write(path, m, bytesWritten, validate: true);

    /// <summary>validate: false writes even an inconsistent graph (tests of the reader's checks only).</summary>
    internal static void Write(string path, ModelDefinition m, IProgress<long>? bytesWritten, bool validate)
    {
        if (Encoding.ASCII.GetByteCount(m.Architecture) > ModelFormat.ArchNameSize || m.Architecture.Any(c => c is < ' ' or > '~'))
            throw new InvalidModelException($"architecture name must be printable ASCII of at most {ModelFormat.ArchNameSize} bytes");
        var specs = m.Weights.Select(w => w.Spec).ToArray();
        if (validate) ModelFormat.ValidateGraph(m.Nodes, specs, m.OutputNode, m.InputSizeLimit);
        var (descOff, tableOff, dataOff, offsets, fileLength) = Layout(m.Nodes.Count, specs);

        var header = new byte[ModelFormat.HeaderSize];
        ModelFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffVersion), ModelFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffHeaderSize), ModelFormat.HeaderSize);
        Encoding.ASCII.GetBytes(m.Architecture, header.AsSpan(ModelFormat.OffArch, ModelFormat.ArchNameSize));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffNodes), (uint)m.Nodes.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffOutput), (uint)m.OutputNode);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffInputLimit), (uint)m.InputSizeLimit);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffWeightCount), (uint)specs.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ModelFormat.OffDescriptors), descOff);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ModelFormat.OffWeightTable), tableOff);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ModelFormat.OffData), dataOff);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ModelFormat.OffFileLength), fileLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(ModelFormat.OffDefaultPasses), (uint)Math.Max(1, m.DefaultPasses));

        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            fs.SetLength(fileLength);
            fs.Write(header);
            foreach (var d in m.Nodes) fs.Write(d.Encode());
            var rec = new byte[ModelFormat.WeightRecordSize];
            for (int w = 0; w < specs.Length; w++)
            {
                ModelFormat.WriteWeightRecord(rec, new WeightInfo(specs[w], offsets[w], specs[w].ByteLength));
                fs.Write(rec);
            }
            long written = 0;
            for (int w = 0; w < specs.Length; w++)
            {
                Pad(fs, offsets[w]);
                int len = specs[w].ByteLength;
                var buf = ArrayPool<byte>.Shared.Rent(len);
                try
                {
                    var span = buf.AsSpan(0, len);
                    span.Clear();
                    m.Weights[w].Fill(span);
                    fs.Write(span);
                }
                finally { ArrayPool<byte>.Shared.Return(buf); }
                written += len;
                bytesWritten?.Report(written);
            }
            Pad(fs, fileLength); // a model without weights ends at the (aligned) data offset
            if (fs.Position != fileLength) throw new InvalidOperationException("model layout mismatch");
        }
        File.Move(tmp, path, overwrite: true);
        // A rewritten model invalidates its root cache by key anyway; removing it avoids a stale file lying around.
        if (File.Exists(ModelRoots.SidecarPath(path))) File.Delete(ModelRoots.SidecarPath(path));
    }

    private static void Pad(FileStream fs, long to)
    {
        if (fs.Position > to) throw new InvalidOperationException("model layout mismatch");
        Span<byte> zeros = stackalloc byte[4096];
        zeros.Clear();
        while (fs.Position < to) fs.Write(zeros[..(int)Math.Min(zeros.Length, to - fs.Position)]);
    }
}
