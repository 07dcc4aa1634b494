using System.Buffers;
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace OpmlNode.Inference.Models;

/// <summary>
/// Opens an `.opml` file (docs/GRAPH.md §5) memory-mapped and read-only, validates all of it, and exposes weight bytes
/// as spans/memory over the mapping (no copies). Every defect is an <see cref="InvalidModelException"/> with a message
/// naming the field.
/// </summary>
public sealed unsafe class ModelReader : IModel, IDisposable
{
    private readonly MemoryMappedFile? _mmf;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly NodeDescriptor[] _nodes;
    private readonly WeightInfo[] _weights;
    private readonly long _descOffset;
    private readonly MappedMemory?[] _weightMemory;
    private bool _disposed;

    public static ModelReader Open(string path)
    {
        FileInfo fi = new(path);
        if (!fi.Exists) throw new InvalidModelException($"{path}: no such file");
        return new ModelReader(fi.FullName, fi.Length);
    }

    private ModelReader(string path, long length)
    {
        Path = path;
        _length = length;
        if (length < ModelFormat.HeaderSize) throw new InvalidModelException($"truncated: the file is {length} bytes, the header alone is {ModelFormat.HeaderSize}");
        try
        {
            _mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _mmf.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            Header = Span(0, ModelFormat.HeaderSize).ToArray();
            (_nodes, _weights, _descOffset) = Parse();
            _weightMemory = new MappedMemory?[_weights.Length];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }
    public long FileLength => _length;
    public byte[] Header { get; }
    public string Architecture { get; private set; } = "";
    public ArchitectureKind Kind => ArchitectureKinds.Of(Architecture);
    public IReadOnlyList<NodeDescriptor> Nodes => _nodes;
    public int OutputNode { get; private set; }
    public int InputSizeLimit { get; private set; }
    public int DefaultPasses { get; private set; }
    public IReadOnlyList<WeightInfo> Weights => _weights;
    public long DataOffset { get; private set; }

    public ReadOnlySpan<byte> DescriptorBytes(int j) => Span(_descOffset + (long)j * NodeDescriptor.Size, NodeDescriptor.Size);

    /// <summary>All of the file before the weight bytes (header, descriptors, weight table).</summary>
    public ReadOnlySpan<byte> Metadata => Span(0, (int)Math.Min(DataOffset, int.MaxValue));

    public ReadOnlySpan<byte> WeightSpan(int w)
    {
        var info = _weights[w];
        return Span(info.Offset, (int)info.Length);
    }

    public ReadOnlyMemory<byte> Weight(int w)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var m = _weightMemory[w];
        if (m is null)
        {
            var info = _weights[w];
            m = new MappedMemory(_base + info.Offset, (int)info.Length);
            _weightMemory[w] = m;
        }
        return m.Memory;
    }

    private ReadOnlySpan<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || length < 0 || offset > _length - length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new ReadOnlySpan<byte>(_base + offset, length);
    }

    private (NodeDescriptor[], WeightInfo[], long) Parse()
    {
        var h = Span(0, ModelFormat.HeaderSize);
        if (!h[..8].SequenceEqual(ModelFormat.Magic)) throw new InvalidModelException("not an opML model file (wrong magic; expected \"OPMLMODL\")");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffVersion..]);
        if (version != ModelFormat.Version) throw new InvalidModelException($"unsupported model file version {version} (this node reads version {ModelFormat.Version})");
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffHeaderSize..]);
        if (headerSize != ModelFormat.HeaderSize) throw new InvalidModelException($"header size {headerSize}; version 1 headers are {ModelFormat.HeaderSize} bytes");
        if (h[(ModelFormat.OffDefaultPasses + 4)..].ContainsAnyExcept((byte)0)) throw new InvalidModelException("reserved header bytes must be zero");
        Architecture = ModelFormat.ReadArch(h.Slice(ModelFormat.OffArch, ModelFormat.ArchNameSize));
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffNodes..]);
        uint output = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffOutput..]);
        uint inputLimit = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffInputLimit..]);
        uint wcount = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffWeightCount..]);
        long descOff = BinaryPrimitives.ReadInt64LittleEndian(h[ModelFormat.OffDescriptors..]);
        long tableOff = BinaryPrimitives.ReadInt64LittleEndian(h[ModelFormat.OffWeightTable..]);
        long dataOff = BinaryPrimitives.ReadInt64LittleEndian(h[ModelFormat.OffData..]);
        long fileLen = BinaryPrimitives.ReadInt64LittleEndian(h[ModelFormat.OffFileLength..]);
        uint passes = BinaryPrimitives.ReadUInt32LittleEndian(h[ModelFormat.OffDefaultPasses..]);

        if (fileLen > _length) throw new InvalidModelException($"truncated: the header declares {fileLen} bytes, the file has {_length}");
        if (fileLen != _length) throw new InvalidModelException($"file length mismatch: the header declares {fileLen} bytes, the file has {_length} (trailing bytes)");
        if (n < 1 || n > ModelFormat.MaxNodes) throw new InvalidModelException($"node count {n} not in 1..{ModelFormat.MaxNodes}");
        if (wcount > ModelFormat.MaxWeights) throw new InvalidModelException($"weight count {wcount} exceeds {ModelFormat.MaxWeights}");
        if (output >= n) throw new InvalidModelException($"output node {output} out of range (n = {n})");
        if (inputLimit > TensorSpec.MaxBytes) throw new InvalidModelException($"input size limit {inputLimit} exceeds one region (2^28 bytes)");
        if (passes < 1) throw new InvalidModelException("default passes must be >= 1");

        long descEnd = descOff + (long)n * NodeDescriptor.Size;
        long tableEnd = tableOff + (long)wcount * ModelFormat.WeightRecordSize;
        Range("descriptors", descOff, descEnd, ModelFormat.HeaderSize);
        Range("weight table", tableOff, tableEnd, descEnd);
        if (dataOff < tableEnd || dataOff > _length) throw new InvalidModelException($"weight data offset {dataOff} out of range (must be in [{tableEnd}, {_length}])");
        if (dataOff % ModelFormat.WeightAlignment != 0) throw new InvalidModelException($"weight data offset {dataOff} is not {ModelFormat.WeightAlignment}-byte aligned");

        var weights = new WeightInfo[wcount];
        for (uint w = 0; w < wcount; w++)
        {
            var info = ModelFormat.ReadWeightRecord(Span(tableOff + w * ModelFormat.WeightRecordSize, ModelFormat.WeightRecordSize), (int)w);
            if (info.Offset < dataOff || info.Offset > _length || info.Length > _length - info.Offset)
                throw new InvalidModelException($"weight {w}: bytes [{info.Offset}, {info.Offset + info.Length}) lie outside the weight data [{dataOff}, {_length}) (truncated file?)");
            if (info.Offset % ModelFormat.WeightAlignment != 0) throw new InvalidModelException($"weight {w}: offset {info.Offset} is not {ModelFormat.WeightAlignment}-byte aligned");
            weights[w] = info;
        }
        var order = Enumerable.Range(0, weights.Length).OrderBy(w => weights[w].Offset).ToArray();
        for (int i = 1; i < order.Length; i++)
        {
            var a = weights[order[i - 1]]; var b = weights[order[i]];
            if (a.Offset + a.Length > b.Offset) throw new InvalidModelException($"weights {order[i - 1]} and {order[i]} overlap");
        }

        var nodes = new NodeDescriptor[n];
        for (int j = 0; j < n; j++)
        {
            try { nodes[j] = NodeDescriptor.Decode(Span(descOff + (long)j * NodeDescriptor.Size, NodeDescriptor.Size)); }
            catch (InvalidDescriptorException e) { throw new InvalidModelException($"node {j}: invalid descriptor: {e.Message}"); }
        }
        ModelFormat.ValidateGraph(nodes, weights.Select(w => w.Spec).ToArray(), (int)output, (int)inputLimit);
        OutputNode = (int)output;
        InputSizeLimit = (int)inputLimit;
        DefaultPasses = (int)passes;
        DataOffset = dataOff;
        return (nodes, weights, descOff);
    }

    private void Range(string what, long start, long end, long min)
    {
        if (start < min || end < start || end > _length) throw new InvalidModelException($"{what} [{start}, {end}) out of range (file is {_length} bytes, must start at or after {min})");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            if (_base != null) _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _mmf?.Dispose();
    }

    /// <summary>A Memory&lt;byte&gt; over mapped pages; valid while the reader is open.</summary>
    private sealed class MappedMemory(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);
        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
