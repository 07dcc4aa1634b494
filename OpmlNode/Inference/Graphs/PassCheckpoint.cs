using System.Buffers.Binary;

namespace OpmlNode.Inference.Graphs;

/// <summary>
/// A native graph checkpoint (docs/GRAPH.md §4): what pass <see cref="Pass"/> reads from earlier passes, i.e. the outputs
/// of every node read with a lag ≥ 1 (KV caches, the token buffer) for the passes it can still reach. With it, any slot
/// of pass p ≥ <see cref="Pass"/> is rebuilt by running from pass <see cref="Pass"/> instead of from pass 0.
/// </summary>
public sealed record PassCheckpoint(int Pass, IReadOnlyList<PassCheckpoint.Entry> Entries)
{
    /// <summary>Node <paramref name="Node"/>'s output in pass <paramref name="OfPass"/> (&lt; <see cref="Pass"/>).</summary>
    public sealed record Entry(int Node, int OfPass, byte[] Bytes);

    public long ByteCount => Entries.Sum(e => (long)e.Bytes.Length);

    /// <summary>u32 pass, u32 count, then per entry u32 node, u32 pass, u32 length, bytes (little-endian).</summary>
    public byte[] Encode()
    {
        var buf = new byte[8 + Entries.Sum(e => 12 + e.Bytes.Length)];
        var s = buf.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(s, Pass);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], Entries.Count);
        int o = 8;
        foreach (var e in Entries)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[o..], e.Node);
            BinaryPrimitives.WriteInt32LittleEndian(s[(o + 4)..], e.OfPass);
            BinaryPrimitives.WriteInt32LittleEndian(s[(o + 8)..], e.Bytes.Length);
            e.Bytes.CopyTo(s[(o + 12)..]);
            o += 12 + e.Bytes.Length;
        }
        return buf;
    }

    /// <exception cref="FormatException">the bytes are not an encoded checkpoint.</exception>
    public static PassCheckpoint Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) throw new FormatException("pass checkpoint: shorter than its header");
        int pass = BinaryPrimitives.ReadInt32LittleEndian(data), count = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if (pass < 0 || count < 0) throw new FormatException("pass checkpoint: negative pass or entry count");
        var entries = new List<Entry>(Math.Min(count, 1 << 16));
        int o = 8;
        for (int i = 0; i < count; i++)
        {
            if (data.Length - o < 12) throw new FormatException($"pass checkpoint: entry {i} is truncated");
            int node = BinaryPrimitives.ReadInt32LittleEndian(data[o..]), of = BinaryPrimitives.ReadInt32LittleEndian(data[(o + 4)..]);
            int len = BinaryPrimitives.ReadInt32LittleEndian(data[(o + 8)..]);
            if (len < 0 || data.Length - o - 12 < len) throw new FormatException($"pass checkpoint: entry {i} is truncated");
            entries.Add(new Entry(node, of, data.Slice(o + 12, len).ToArray()));
            o += 12 + len;
        }
        if (o != data.Length) throw new FormatException("pass checkpoint: trailing bytes");
        return new PassCheckpoint(pass, entries);
    }
}
