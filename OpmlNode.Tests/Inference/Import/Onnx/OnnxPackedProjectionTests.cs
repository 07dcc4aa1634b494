using Google.Protobuf;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Import.Onnx.Proto;
using OpmlNode.Inference.Models;
using Xunit.Abstractions;
using static OpmlNode.Tests.Inference.Import.Onnx.OnnxLoaderTests;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>
/// Tiny crafted graphs around the packed projection: p = x·W + b [1, 4, 16], cut into two [1, 4, 8] halves that are
/// added. The cuts the importer proves (a Slice or Split of the last axis with constant bounds) become two MatMuls;
/// every other cut is refused with the op and node.
/// </summary>
public class OnnxPackedProjectionTests(ITestOutputHelper log)
{
    private const int D = 8, N = 16;

    [Theory]
    [InlineData("slice")]
    [InlineData("split")]
    [InlineData("split-equal")]
    public void PackedProjectionCutsIntoOneMatMulPerPart(string cut)
    {
        var model = OnnxModel.Parse(Packed(cut).ToByteArray(), $"{cut}.onnx");
        var rng = new Random(5);
        var samples = Enumerable.Range(0, 9).Select(_ => (IReadOnlyDictionary<string, OnnxTensor>)new Dictionary<string, OnnxTensor>
        {
            ["x"] = OnnxTensor.Float([1, 4, D], Enumerable.Range(0, 4 * D).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()),
        }).ToList();
        var r = OnnxImport.Run(model, samples[..8], new OnnxImportOptions());
        Assert.Equal(2, r.OpCounts["MatMul"]);
        var path = Path.Combine(Path.GetTempPath(), $"packed-{cut}-{Guid.NewGuid():N}.opml");
        try
        {
            ModelWriter.Write(path, r.Model);
            using var m = ModelReader.Open(path);
            var ours = r.Info.Dequantise(new GraphRunner(m, CpuBackend.Instance).Run(r.Info.PackFloats(samples[8]), 1).Output);
            var expected = new OnnxEvaluator(model).Run(samples[8])["y"].AsFloats();
            double cos = TextEmbedder.Cosine(ours, expected);
            log.WriteLine($"{cut}: {r.Model.Nodes.Count} nodes; cosine vs float {cos:F5}");
            Assert.True(cos >= 0.999, $"cosine {cos:F5}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("step2", "ONNX: unsupported op Slice at node 'cut_a' (steps other than 1)")]
    [InlineData("axis1", "ONNX: unsupported op Slice at node 'cut_a' (a slice of a packed projection along axis 1, not only the last)")]
    [InlineData("other-reader", "ONNX: unsupported op Slice at node 'cut_a' (a slice of an activation: only of a MatMul by a constant [+ bias] that nothing but Slice, Split and Shape reads)")]
    [InlineData("topk", "ONNX: unsupported op TopK at node 'topk'")]
    public void CutsItCannotProveAreRefusedWithTheOpAndNode(string cut, string message)
    {
        var model = OnnxModel.Parse(Packed(cut).ToByteArray(), $"{cut}.onnx");
        var x = OnnxTensor.Float([1, 4, D], Enumerable.Range(0, 4 * D).Select(i => (float)Math.Sin(i)).ToArray());
        var e = Assert.Throws<OnnxImportException>(() => OnnxImport.Run(model, [new Dictionary<string, OnnxTensor> { ["x"] = x }], new OnnxImportOptions()));
        Assert.Equal(message, e.Message);
    }

    /// <summary>x [1, 4, 8] → MatMul W [8, 16] → Add b → the two halves a, b (cut as named) → y = a + b [1, 4, 8].</summary>
    private static ModelProto Packed(string cut)
    {
        var g = new GraphProto { Name = cut };
        var rng = new Random(3);
        g.Initializer.Add(Floats("W", [D, N], Enumerable.Range(0, D * N).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()));
        g.Initializer.Add(Floats("bias", [N], Enumerable.Range(0, N).Select(i => 0.05f * i).ToArray()));
        g.Node.Add(new NodeProto { OpType = "MatMul", Name = "in_proj", Input = { "x", "W" }, Output = { "mm" } });
        g.Node.Add(new NodeProto { OpType = "Add", Name = "in_proj_bias", Input = { "bias", "mm" }, Output = { "p" } });
        void Slice(string name, long start, long end, long axis, long step, string output)
        {
            foreach (var (k, v) in new[] { ("starts", start), ("ends", end), ("axes", axis), ("steps", step) }) g.Initializer.Add(Longs($"{name}_{k}", v));
            g.Node.Add(new NodeProto { OpType = "Slice", Name = name, Input = { "p", $"{name}_starts", $"{name}_ends", $"{name}_axes", $"{name}_steps" }, Output = { output } });
        }
        string tail = "y";
        switch (cut)
        {
            case "split":
                g.Initializer.Add(Longs("sizes", D, D));
                g.Node.Add(new NodeProto { OpType = "Split", Name = "cut", Input = { "p", "sizes" }, Output = { "a", "b" }, Attribute = { Int("axis", -1) } });
                break;
            case "split-equal":
                g.Node.Add(new NodeProto { OpType = "Split", Name = "cut", Input = { "p" }, Output = { "a", "b" }, Attribute = { Int("axis", 2) } });
                break;
            case "step2":
                Slice("cut_a", 0, N, -1, 2, "a");
                Slice("cut_b", D, N, -1, 1, "b");
                break;
            case "axis1":
                Slice("cut_a", 0, 2, 1, 1, "a");
                Slice("cut_b", 2, 4, 1, 1, "b");
                break;
            default:
                Slice("cut_a", 0, D, -1, 1, "a");
                Slice("cut_b", D, long.MaxValue, -1, 1, "b");
                break;
        }
        if (cut == "other-reader")
        {
            // The packed output is also read whole, so the cuts are no longer the only readers.
            g.Node.Add(new NodeProto { OpType = "ReduceSum", Name = "whole", Input = { "p" }, Output = { "sum" }, Attribute = { Ints("axes", -1) } });
            g.Node.Add(new NodeProto { OpType = "Add", Name = "with_sum", Input = { "a", "sum" }, Output = { "a2" } });
            g.Node.Add(new NodeProto { OpType = "Add", Name = "halves", Input = { "a2", "b" }, Output = { tail } });
        }
        else if (cut == "topk")
        {
            g.Node.Add(new NodeProto { OpType = "Add", Name = "halves", Input = { "a", "b" }, Output = { "s" } });
            g.Initializer.Add(Longs("k", 2));
            g.Node.Add(new NodeProto { OpType = "TopK", Name = "topk", Input = { "s", "k" }, Output = { tail, "idx" } });
        }
        else
            g.Node.Add(new NodeProto { OpType = "Add", Name = "halves", Input = { "a", "b" }, Output = { tail } });
        g.Input.Add(Value("x", 1, 4, D));
        g.Output.Add(Value(tail, 1, 4, cut == "topk" ? 2 : D));
        return new ModelProto { IrVersion = 8, Graph = g, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } };
    }

    private static TensorProto Floats(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims } };
        t.FloatData.Add(values);
        return t;
    }

    private static TensorProto Longs(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length } };
        t.Int64Data.Add(values);
        return t;
    }

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    private static AttributeProto Ints(string name, params long[] v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { v } };
}
