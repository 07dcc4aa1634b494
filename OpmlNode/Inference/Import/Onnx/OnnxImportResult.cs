using System.Text.Json;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>A float graph input packed into the int8 task input: its elements at [Offset, Offset + count), q = round(x / Scale).</summary>
public sealed record PackedInput(string Name, int[] Shape, double Scale, int Offset)
{
    /// <summary>The int8 value the task input holds for the real value <paramref name="v"/>.</summary>
    public sbyte Quantise(double v) => (sbyte)Math.Clamp(Math.Round(v / Scale), -128, 127);
}

/// <summary>
/// What `infer` needs beside the .opml to feed and read an imported model (written as <c>M.opml.onnx.json</c>): how the
/// task input is made (token ids, or float inputs quantised and packed) and the real scale of the int8 output.
/// </summary>
public sealed record OnnxImportInfo(
    string Source, string OutputName, int[] OutputShape, double OutputScale,
    bool TokenIds, int MaxSequence, IReadOnlyList<PackedInput> Inputs, string? Vocabulary = null, string? Pooling = null)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(string modelPath) => modelPath + ".onnx.json";

    public void Save(string modelPath) => File.WriteAllText(PathFor(modelPath), JsonSerializer.Serialize(this, Json));

    public static OnnxImportInfo? TryLoad(string modelPath) =>
        File.Exists(PathFor(modelPath)) ? JsonSerializer.Deserialize<OnnxImportInfo>(File.ReadAllText(PathFor(modelPath))) : null;

    /// <summary>The task input bytes for float inputs (quantised with their import scales, packed in order).</summary>
    public byte[] PackFloats(IReadOnlyDictionary<string, OnnxTensor> values)
    {
        int total = Inputs.Sum(i => OnnxTensor.CountOf(i.Shape));
        var b = new byte[total];
        foreach (var p in Inputs)
        {
            var t = values.TryGetValue(p.Name, out var v) ? v : throw new ArgumentException($"no value for input '{p.Name}'");
            if (!t.Shape.SequenceEqual(p.Shape)) throw new ArgumentException($"input '{p.Name}' has shape {OnnxShapes.Show(t.Shape)}, the model was imported for {OnnxShapes.Show(p.Shape)}");
            for (int i = 0; i < t.Count; i++) b[p.Offset + i] = (byte)p.Quantise(t[i]);
        }
        return b;
    }

    /// <summary>The real values of the int8 output.</summary>
    public float[] Dequantise(QTensor output) => output.ToInts().Select(q => (float)(q * OutputScale)).ToArray();
}

/// <summary>
/// An ONNX value held by an op-set node: column c of the node holds the value's channel Perm[c] (c without Perm), real =
/// q · Scale · Channel[c] + (Offsets[c] or Offset); <c>HeadsFirst</c> values keep the [L, H·hd] bytes of their projection.
/// </summary>
public sealed record OnnxProbe(
    string Value, int Node, double Scale, bool HeadsFirst, double Offset = 0,
    IReadOnlyList<double>? Channel = null, IReadOnlyList<double>? Offsets = null, IReadOnlyList<int>? Perm = null)
{
    public double Real(int q, int c) => q * Scale * (Channel?[c] ?? 1) + (Offsets?[c] ?? Offset);

    /// <summary>The value's channel held in column c.</summary>
    public int ChannelOf(int c) => Perm?[c] ?? c;
}

/// <summary>An imported model: the op-set graph to write, the facts to feed and read it, and where each ONNX value went.</summary>
public sealed record OnnxImportResult(ModelDefinition Model, OnnxImportInfo Info, IReadOnlyDictionary<string, int> OpCounts, IReadOnlyList<OnnxProbe> Probes);
