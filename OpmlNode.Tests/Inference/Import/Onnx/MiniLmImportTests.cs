using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Models;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>all-MiniLM-L6-v2 imported to int8 against ONNX Runtime's float embeddings (OpmlNode issue 10's target).</summary>
public class MiniLmImportTests : IClassFixture<MiniLmImportTests.Imported>
{
    public const int MaxSequence = 64;

    /// <summary>
    /// Just under the mean cosine measured (0.9977, min 0.9950) with max-abs calibration on the 16 calibration sentences,
    /// the residual stream into every LayerNorm in I16 (Norm reads I16, OPS §5.6), SmoothQuant on the LayerNorm outputs
    /// into the MatMuls, offset int8 activations and channel groups on the FFN's MatMul → GELU → MatMul.
    /// </summary>
    private const double MeasuredMeanCosineFloor = 0.997;

    /// <summary>Just under the measured minimum cosine over the evaluation sentences.</summary>
    private const double MeasuredMinCosineFloor = 0.994;

    /// <summary>Queries (of 5) whose top document matches the reference's (5 measured).</summary>
    private const int MeasuredTop1Floor = 5;

    /// <summary>Queries (of 5) whose whole ranking of the 6 documents matches the reference's (5 measured; 3 before the FFN channel groups and smoothing).</summary>
    private const int MeasuredFullRankingFloor = 5;

    /// <summary>The model imported once for the class (calibrated on <see cref="MiniLmSentences.Calibration"/>).</summary>
    public sealed class Imported : IDisposable
    {
        public Imported()
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Onnx = OnnxModel.Load(MiniLmFiles.ModelPath);
            Embedder = new TextEmbedder(MiniLmFiles.VocabPath, MaxSequence);
            var samples = MiniLmSentences.Calibration.Select(s => OnnxImport.TextSample(Onnx, Embedder.Tokenize(s))).ToList();
            Result = OnnxImport.Run(Onnx, samples, new OnnxImportOptions { MaxSequence = MaxSequence, Architecture = "bert/minilm-l6" });
            ImportSeconds = sw.Elapsed.TotalSeconds;
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"minilm-{Guid.NewGuid():N}.opml");
            ModelWriter.Write(Path, Result.Model);
            Model = ModelReader.Open(Path);
            Session = new InferenceSession(MiniLmFiles.ModelPath);
        }

        public OnnxModel Onnx { get; }
        public TextEmbedder Embedder { get; }
        public OnnxImportResult Result { get; }
        public double ImportSeconds { get; }
        public string Path { get; }
        public ModelReader Model { get; }
        public InferenceSession Session { get; }

        public float[] Ours(string text) => Embedder.Embed(Model, new CpuBackend(), Result.Info, text).Embedding;

        public float[] Reference(string text)
        {
            var ids = Embedder.Tokenize(text);
            int n = ids.Length;
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [1, n])),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), [1, n])),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[n], [1, n])),
            };
            using var outs = Session.Run(inputs, ["last_hidden_state"]);
            var h = outs.First().AsTensor<float>().ToArray();
            return TextEmbedder.Pool(h, n, h.Length / n);
        }

        public void Dispose()
        {
            Session.Dispose();
            Model.Dispose();
            File.Delete(Path);
        }
    }

    private readonly Imported _m;
    private readonly ITestOutputHelper _log;

    public MiniLmImportTests(ITestOutputHelper log, Imported m)
    {
        _log = log;
        _m = m;
    }

    [Fact]
    public void EmbeddingsMatchOnnxRuntime()
    {
        var cos = MiniLmSentences.Evaluation.Select(s => TextEmbedder.Cosine(_m.Ours(s), _m.Reference(s))).ToArray();
        _log.WriteLine($"import {_m.ImportSeconds:F1} s, {_m.Result.Model.Nodes.Count} nodes: {string.Join(", ", _m.Result.OpCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");
        _log.WriteLine($"cosine over {cos.Length} sentences: mean {cos.Average():F4}, min {cos.Min():F4}");
        Assert.True(cos.Length >= 50);
        // Issue 10's target is a mean of 0.98. MiniLM's residual sums have outlier channels (|x| ≈ 200 against a typical
        // ≈ 1): with an int8 residual stream (one scale per tensor) the mean was 0.649. The importer keeps the residual
        // stream (embedding sum, residual Adds, the MatMuls and an I16 twin of each LayerNorm output feeding them) in I16,
        // which Norm reads (OPS §5.6), and folds per-channel scales and offsets into gamma/beta, weights, biases and Lut
        // tables where the int8 MatMul inputs have outlier channels. These bounds guard the measured figures; see
        // docs/ONNX-NODE-TESTS.md.
        Assert.True(cos.Average() >= MeasuredMeanCosineFloor, $"mean cosine {cos.Average():F4} (min {cos.Min():F4})");
        Assert.True(cos.Min() >= MeasuredMinCosineFloor, $"min cosine {cos.Min():F4} (mean {cos.Average():F4})");
    }

    /// <summary>
    /// The imported graph (I16 residual stream, I16-input Norms) is the same model on CPU, the scalar reference and ILGPU,
    /// and every node but the MatMuls after the first (slow here) gives the native output on the RV32IM VM from its committed start state.
    /// </summary>
    [Fact]
    public void EveryBackendGivesTheSameSlotRoots()
    {
        var m = _m.Model;
        var input = _m.Embedder.TaskInput(_m.Embedder.Tokenize(MiniLmSentences.Evaluation[0]));
        var cpu = ModelEquivalence.AssertBackendsAgree(m, input, 1);
        long firstMatMul = Enumerable.Range(0, m.Nodes.Count).First(j => m.Nodes[j].Op == OpCode.MatMul);
        var slots = Enumerable.Range(0, m.Nodes.Count).Select(j => (long)j).Where(g => m.Nodes[(int)g].Op != OpCode.MatMul || g == firstMatMul).ToList(); // one MatMul: the rest only cost time
        ModelEquivalence.AssertVmAgrees(m, input, 1, cpu, slots);
        int wideNorms = slots.Count(g => m.Nodes[(int)g].Op == OpCode.Norm && m.Nodes[(int)g].In(0).Type == ElemType.I16);
        _log.WriteLine($"{wideNorms} Norm nodes with I16 input checked on the VM");
        Assert.True(wideNorms >= 13);
    }

    [Fact]
    public void RetrievalRankingMatchesOnnxRuntime()
    {
        int top1 = 0, full = 0;
        double worstGap = 0;
        var docsOurs = MiniLmSentences.Documents.Select(_m.Ours).ToArray();
        var docsRef = MiniLmSentences.Documents.Select(_m.Reference).ToArray();
        foreach (var (q, relevant) in MiniLmSentences.Queries)
        {
            var qo = _m.Ours(q);
            var qr = _m.Reference(q);
            var rankOurs = Enumerable.Range(0, docsOurs.Length).OrderByDescending(d => TextEmbedder.Cosine(qo, docsOurs[d])).ToArray();
            var rankRef = Enumerable.Range(0, docsRef.Length).OrderByDescending(d => TextEmbedder.Cosine(qr, docsRef[d])).ToArray();
            _log.WriteLine($"{q}: ours [{string.Join(",", rankOurs)}], reference [{string.Join(",", rankRef)}]");
            Assert.Equal(relevant, rankRef[0]);
            if (rankOurs[0] == rankRef[0]) top1++;
            if (rankOurs.SequenceEqual(rankRef)) full++;
            // Each pair of documents ours orders the other way round, with the reference's similarity gap (logged).
            for (int a = 0; a < rankOurs.Length; a++)
                for (int b = a + 1; b < rankOurs.Length; b++)
                    if (Array.IndexOf(rankRef, rankOurs[a]) > Array.IndexOf(rankRef, rankOurs[b]))
                    {
                        double gap = Math.Abs(TextEmbedder.Cosine(qr, docsRef[rankOurs[a]]) - TextEmbedder.Cosine(qr, docsRef[rankOurs[b]]));
                        worstGap = Math.Max(worstGap, gap);
                        _log.WriteLine($"  documents {rankOurs[a]} and {rankOurs[b]} swapped; reference similarity gap {gap:F4}");
                    }
        }
        _log.WriteLine($"top-1 agreement with the reference: {top1}/{MiniLmSentences.Queries.Length}; full ranking {full}/{MiniLmSentences.Queries.Length}; widest swapped gap {worstGap:F4}");
        Assert.True(top1 >= MeasuredTop1Floor, $"top-1 agreement {top1}/{MiniLmSentences.Queries.Length}");
        Assert.True(full >= MeasuredFullRankingFloor, $"full ranking agreement {full}/{MiniLmSentences.Queries.Length} (widest swapped gap {worstGap:F4})");
    }
}
