using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Onnx;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>Where the int8 import of MiniLM loses accuracy: each ONNX value held by a node against the float evaluator, on one sentence.</summary>
public class MiniLmPerValueErrorTests(ITestOutputHelper log, MiniLmImportTests.Imported m) : IClassFixture<MiniLmImportTests.Imported>
{
    [Fact]
    public void ReportsErrorPerValue()
    {
        var text = MiniLmSentences.Evaluation[0];
        var ids = m.Embedder.Tokenize(text);
        int n = ids.Length;
        var fl = new OnnxEvaluator(m.Onnx).Run(OnnxImport.TextSample(m.Onnx, ids));
        var outs = new Dictionary<int, byte[]>();
        new GraphRunner(m.Model, new CpuBackend()).Run(m.Embedder.TaskInput(ids), 1, new GraphRunOptions { SlotCompleted = (g, o) => outs[(int)g] = o.ToArray() });
        foreach (var p in m.Result.Probes)
        {
            if (p.HeadsFirst || !fl.TryGetValue(p.Value, out var f) || !f.IsFloat) continue;
            var q = outs[p.Node];
            var type = m.Model.Nodes[p.Node].Output.Type; // I8, or I16 for the residual stream into a Norm
            int cols = f.Shape[^1];
            int count = Math.Min(n * cols, f.Count);
            double e2 = 0, r2 = 0, ab = 0, aa = 0, bb = 0; int sat = 0;
            for (int i = 0; i < count; i++)
            {
                int v = ElemTypes.Read(q, type, i);
                double ours = p.Real(v, i % cols), r = f.F![i - i % cols + p.ChannelOf(i % cols)];
                e2 += (ours - r) * (ours - r); r2 += r * r; ab += ours * r; aa += ours * ours; bb += r * r;
                if (v == type.Max() || v == type.Min()) sat++;
            }
            log.WriteLine($"{p.Node,4} {p.Value,-8} {type} scale {p.Scale:G3}{(p.Offset != 0 ? $" offset {p.Offset:G3}" : "")}{(p.Channel is null ? "" : p.Perm is null ? " smoothed" : " grouped")} relerr {Math.Sqrt(e2 / r2):F4} cos {ab / Math.Sqrt(aa * bb):F4} sat {sat}");
        }
    }
}
