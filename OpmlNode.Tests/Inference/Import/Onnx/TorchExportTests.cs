using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>
/// The models of models/onnx-torch/, exported by tools/onnx-export/export.py from PyTorch 1.13 (an MLP classifier, a
/// post-LN transformer encoder block at opset 13 and the same at opset 17, PyTorch's own nn.TransformerEncoderLayer):
/// imported calibrated on their committed calibration sets, run by the int8 engine and compared with ONNX Runtime's
/// float output on the held-out sets.
/// </summary>
public class TorchExportTests : IClassFixture<TorchExportTests.Imported>
{
    public static readonly string[] Names = ["mlp", "encoder", "encoder-opset17", "torch-encoder-layer"];

    /// <summary>One committed export imported once: its samples, the .opml, the ONNX Runtime session.</summary>
    public sealed class TorchModel : IDisposable
    {
        public TorchModel(string name)
        {
            Name = name;
            Dir = Repo.Path("models", "onnx-torch", name);
            Onnx = OnnxModel.Load(System.IO.Path.Combine(Dir, "model.onnx"));
            Calibration = Sets("calibrate");
            Evaluation = Sets("evaluate");
            Expected = Directory.GetDirectories(System.IO.Path.Combine(Dir, "evaluate")).Order(StringComparer.Ordinal)
                .Select(d => OnnxModel.LoadTensor(System.IO.Path.Combine(d, "output_0.pb"))).ToArray();
            Text = OnnxImporter.IsTextEncoder(Onnx);
            SeqLen = Text ? Calibration[0]["input_ids"].Shape[^1] : 0;
            Result = OnnxImport.Run(Onnx, Calibration, new OnnxImportOptions { MaxSequence = Text ? SeqLen : 128, Architecture = $"torch/{name}" });
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"torch-{name}-{Guid.NewGuid():N}.opml");
            ModelWriter.Write(Path, Result.Model);
            Model = ModelReader.Open(Path);
            Session = new InferenceSession(System.IO.Path.Combine(Dir, "model.onnx"));
        }

        public string Name { get; }
        public string Dir { get; }
        public OnnxModel Onnx { get; }
        public IReadOnlyList<IReadOnlyDictionary<string, OnnxTensor>> Calibration { get; }
        public IReadOnlyList<IReadOnlyDictionary<string, OnnxTensor>> Evaluation { get; }
        public OnnxTensor[] Expected { get; }
        public bool Text { get; }
        public int SeqLen { get; }
        public OnnxImportResult Result { get; }
        public string Path { get; }
        public ModelReader Model { get; }
        public InferenceSession Session { get; }

        private List<IReadOnlyDictionary<string, OnnxTensor>> Sets(string kind) =>
            Directory.GetDirectories(System.IO.Path.Combine(Dir, kind)).Order(StringComparer.Ordinal)
                .Select(d => (IReadOnlyDictionary<string, OnnxTensor>)Onnx.Inputs
                    .Select((inp, i) => (inp.Name, T: OnnxModel.LoadTensor(System.IO.Path.Combine(d, $"input_{i}.pb"))))
                    .ToDictionary(x => x.Name, x => x.T))
                .ToList();

        /// <summary>The task input: the I32 [L] token ids (pad 0) of a text encoder, else the float inputs quantised and packed.</summary>
        public byte[] TaskInput(IReadOnlyDictionary<string, OnnxTensor> sample) =>
            Text ? ModelSynth.IdsInput(sample["input_ids"].AsLongs().Select(i => (int)i).ToArray()) : Result.Info.PackFloats(sample);

        public float[] Ours(IReadOnlyDictionary<string, OnnxTensor> sample, IOpBackend? backend = null) =>
            Result.Info.Dequantise(new GraphRunner(Model, backend ?? CpuBackend.Instance).Run(TaskInput(sample), 1).Output);

        public float[] Reference(IReadOnlyDictionary<string, OnnxTensor> sample)
        {
            var inputs = Onnx.Inputs.Select(i => sample[i.Name] is var t && t.IsFloat
                ? NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(t.F!, t.Shape))
                : NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(t.I!, t.Shape))).ToList();
            using var outs = Session.Run(inputs, [Result.Info.OutputName]);
            return outs.First().AsTensor<float>().ToArray();
        }

        /// <summary>Real (non-pad) rows of a text sample; every row of a float model's output (one for the MLP).</summary>
        public int Rows(IReadOnlyDictionary<string, OnnxTensor> sample) =>
            Text ? sample["input_ids"].AsLongs().Count(i => i != 0) : OnnxTensor.CountOf(Result.Info.OutputShape) / Result.Info.OutputShape[^1];

        public void Dispose()
        {
            Session.Dispose();
            Model.Dispose();
            File.Delete(Path);
        }
    }

    /// <summary>The models imported once for the class.</summary>
    public sealed class Imported : IDisposable
    {
        public Imported()
        {
            Models = Names.ToDictionary(n => n, n => new TorchModel(n));
        }

        public IReadOnlyDictionary<string, TorchModel> Models { get; }

        public void Dispose()
        {
            foreach (var m in Models.Values) m.Dispose();
        }
    }

    private readonly Imported _m;
    private readonly ITestOutputHelper _log;

    public TorchExportTests(ITestOutputHelper log, Imported m)
    {
        _log = log;
        _m = m;
    }

    /// <summary>ONNX Runtime reproduces the torch outputs committed beside the model (the export is faithful).</summary>
    [Theory]
    [MemberData(nameof(ModelNames))]
    public void OnnxRuntimeReproducesTorch(string name)
    {
        var m = _m.Models[name];
        double worst = 0;
        for (int s = 0; s < m.Evaluation.Count; s++)
        {
            var r = m.Reference(m.Evaluation[s]);
            var t = m.Expected[s].AsFloats();
            Assert.Equal(t.Length, r.Length);
            for (int i = 0; i < t.Length; i++) worst = Math.Max(worst, Math.Abs(r[i] - t[i]));
        }
        _log.WriteLine($"{name}: max |onnxruntime − torch| = {worst:G3}");
        Assert.True(worst < 1e-4, $"{name}: ONNX Runtime differs from torch by {worst}");
    }

    public static TheoryData<string> ModelNames() => new(Names);

    /// <summary>Per held-out sample (MLP) or per real token (encoders): cosine, and the error relative to max |reference|.</summary>
    private (double[] Cos, double MaxRelErr, int Argmax) Compare(TorchModel m)
    {
        var cos = new List<double>();
        double maxRel = 0;
        int argmax = 0, over5 = 0, values = 0;
        int d = m.Result.Info.OutputShape[^1];
        foreach (var s in m.Evaluation)
        {
            var ours = m.Ours(s);
            var reference = m.Reference(s);
            Assert.Equal(reference.Length, ours.Length);
            double scale = reference.Max(Math.Abs);
            int rows = m.Rows(s);
            for (int r = 0; r < rows; r++)
            {
                var o = ours.AsSpan(r * d, d).ToArray();
                var f = reference.AsSpan(r * d, d).ToArray();
                cos.Add(TextEmbedder.Cosine(o, f));
                for (int i = 0; i < d; i++)
                {
                    double e = Math.Abs(o[i] - f[i]) / scale;
                    maxRel = Math.Max(maxRel, e);
                    if (e > 0.05) over5++;
                }
                values += d;
                if (Array.IndexOf(o, o.Max()) == Array.IndexOf(f, f.Max())) argmax++;
            }
        }
        _log.WriteLine($"{m.Name}: {over5} of {values} values off by more than 5 % of max |reference|");
        return (cos.ToArray(), maxRel, argmax);
    }

    /// <summary>
    /// The MLP's int8 logits against ONNX Runtime on the 16 held-out inputs. Measured: mean cosine 0.99987, min 0.99967,
    /// largest error 2.44 % of max |logit|, predicted class 16/16 (docs/ONNX-NODE-TESTS.md); the bounds sit just outside.
    /// </summary>
    [Fact]
    public void MlpLogitsMatchOnnxRuntime()
    {
        var m = _m.Models["mlp"];
        var (cos, rel, argmax) = Compare(m);
        _log.WriteLine($"mlp: {m.Result.Model.Nodes.Count} nodes ({Counts(m)}); cosine mean {cos.Average():F5} min {cos.Min():F5}; max |err| {rel:P2} of max|ref|; argmax {argmax}/{cos.Length}");
        Assert.Equal(16, cos.Length);
        Assert.True(cos.Average() >= MlpMeanCosine && cos.Min() >= MlpMinCosine, $"cosine mean {cos.Average():F5} min {cos.Min():F5}");
        Assert.True(rel <= MlpMaxRelErr, $"max error {rel:P2} of max |logit|");
        Assert.True(argmax >= 15, $"argmax agrees on {argmax}/16");
    }

    private const double MlpMeanCosine = 0.9995, MlpMinCosine = 0.999, MlpMaxRelErr = 0.035;

    /// <summary>
    /// The encoder's int8 hidden states against ONNX Runtime, per real token of the 16 held-out sequences (4..16 tokens,
    /// padded to 16; the importer derives the mask from ids ≠ 0). Measured: mean cosine 0.99965, min 0.99795, largest
    /// error 12.4 % of max |reference| (3 of 12,800 values are off by more than 5 %; their source is not traced); the bounds
    /// sit just outside. For scale, the float model itself with the padding mask dropped (all ones) scores mean 0.950,
    /// min 0.635 against the masked reference (logged; asserted below the bound, so the bound tells a mask bug).
    /// </summary>
    [Theory]
    [InlineData("encoder")]
    [InlineData("encoder-opset17")]
    public void EncoderHiddenStatesMatchOnnxRuntime(string name)
    {
        var m = _m.Models[name];
        var (cos, rel, _) = Compare(m);
        _log.WriteLine($"{name}: {m.Result.Model.Nodes.Count} nodes ({Counts(m)}); {cos.Length} tokens: cosine mean {cos.Average():F5} min {cos.Min():F5}; max |err| {rel:P2} of max|ref|");
        Assert.True(cos.Length >= 100);
        Assert.True(cos.Average() >= EncoderMeanCosine && cos.Min() >= EncoderMinCosine, $"cosine mean {cos.Average():F5} min {cos.Min():F5}");
        Assert.True(rel <= EncoderMaxRelErr, $"max error {rel:P2} of max |reference|");
        var unmasked = new List<double>();
        int d = m.Result.Info.OutputShape[^1];
        foreach (var s in m.Evaluation)
        {
            var ids = s["input_ids"];
            var noMask = new Dictionary<string, OnnxTensor>(s) { ["attention_mask"] = OnnxTensor.Int(ids.Shape, Enumerable.Repeat(1L, ids.Count).ToArray()) };
            var (f, g) = (m.Reference(s), m.Reference(noMask));
            for (int r = 0; r < m.Rows(s); r++) unmasked.Add(TextEmbedder.Cosine(g.AsSpan(r * d, d).ToArray(), f.AsSpan(r * d, d).ToArray()));
        }
        _log.WriteLine($"{name}: float without the padding mask vs the reference: cosine mean {unmasked.Average():F5} min {unmasked.Min():F5}");
        Assert.True(unmasked.Average() < EncoderMeanCosine, "the cosine bound does not tell a model that ignores the mask");
    }

    private const double EncoderMeanCosine = 0.9993, EncoderMinCosine = 0.997, EncoderMaxRelErr = 0.15;

    /// <summary>
    /// Both encoder exports (LayerNorm as the ReduceMean subgraph at opset 13, as LayerNormalization at 17) lower to the
    /// same graph: the same ops, operands and tensor specs. The float evaluator computes the two LayerNorm forms a few
    /// ULPs apart, so calibrated scales (and with them requant multipliers) differ in the 7th digit: the int8 outputs
    /// may differ by one step, rarely (measured: see the log).
    /// </summary>
    [Fact]
    public void BothEncoderExportsLowerToTheSameGraph()
    {
        var a = _m.Models["encoder"];
        var b = _m.Models["encoder-opset17"];
        Assert.Equal(a.Model.Nodes.Count, b.Model.Nodes.Count);
        for (int i = 0; i < a.Model.Nodes.Count; i++)
        {
            var (x, y) = (a.Model.Nodes[i], b.Model.Nodes[i]);
            Assert.Equal(x.Op, y.Op);
            Assert.Equal(x.Output, y.Output);
            Assert.Equal(x.Inputs, y.Inputs);
        }
        Assert.Equal(a.Result.Model.Weights.Select(w => w.Spec), b.Result.Model.Weights.Select(w => w.Spec));
        int differ = 0, total = 0, worst = 0;
        foreach (var s in a.Evaluation)
        {
            var input = a.TaskInput(s);
            var qa = new GraphRunner(a.Model, CpuBackend.Instance).Run(input, 1).Output.ToInts();
            var qb = new GraphRunner(b.Model, CpuBackend.Instance).Run(input, 1).Output.ToInts();
            for (int i = 0; i < qa.Length; i++)
            {
                int d = Math.Abs(qa[i] - qb[i]);
                worst = Math.Max(worst, d);
                if (d != 0) differ++;
            }
            total += qa.Length;
        }
        _log.WriteLine($"opset 13 vs 17: {differ} of {total} int8 outputs differ, by at most {worst}");
        Assert.True(worst <= 1 && differ <= total / 100, $"{differ} of {total} outputs differ, by up to {worst}");
    }

    /// <summary>Same slot roots on CPU, scalar and ILGPU (CPU accelerator); one slot of each op kind matches native on the VM.</summary>
    [Theory]
    [MemberData(nameof(ModelNames))]
    public void EveryBackendGivesTheSameSlotRootsAndTheVmAgrees(string name)
    {
        var tm = _m.Models[name];
        var m = tm.Model;
        var input = tm.TaskInput(tm.Evaluation[1]);
        var cpu = ModelEquivalence.AssertBackendsAgree(m, input, 1, $"{name}: ");
        var firstOfEach = Enumerable.Range(0, m.Nodes.Count).GroupBy(j => m.Nodes[j].Op).Select(g => g.First()).Order().ToList();
        ModelEquivalence.AssertVmAgrees(m, input, 1, cpu, firstOfEach.Select(g => (long)g), $"{name}: ");
        _log.WriteLine($"{name}: {cpu.SlotCount} slots equal on cpu/scalar/ilgpu; VM slots {string.Join(", ", firstOfEach.Select(g => $"{g} {m.Nodes[g].Op}"))}");
    }

    /// <summary>`model import-onnx --calibrate set_*/input_0.pb` calibrates on every sample: the same file as the API import.</summary>
    [Fact]
    public void CliImportsTheMlpCalibratedOnEverySample()
    {
        var m = _m.Models["mlp"];
        var dir = Directory.CreateTempSubdirectory("torch-cli").FullName;
        try
        {
            var cal = Directory.GetDirectories(System.IO.Path.Combine(m.Dir, "calibrate")).Order(StringComparer.Ordinal).Select(d => System.IO.Path.Combine(d, "input_0.pb")).ToArray();
            var outPath = System.IO.Path.Combine(dir, "mlp.opml");
            var r = OpmlNodeCli.Run(["model", "import-onnx", System.IO.Path.Combine(m.Dir, "model.onnx"), "--calibrate", .. cal, "--out", outPath]);
            Assert.True(r.Code == 0, r.Err);
            Assert.Contains("calibrated on 16 samples", r.Out);
            var api = System.IO.Path.Combine(dir, "api.opml");
            ModelWriter.Write(api, OnnxImport.Run(m.Onnx, m.Calibration, new OnnxImportOptions()).Model);
            Assert.Equal(File.ReadAllBytes(api), File.ReadAllBytes(outPath));
            r = OpmlNodeCli.Run(["model", "import-onnx", System.IO.Path.Combine(_m.Models["encoder"].Dir, "model.onnx"), "--calibrate", cal[0], "--out", outPath]);
            Assert.Equal(2, r.Code);
            Assert.Contains("one .pb tensor per graph input (2: input_ids, attention_mask)", r.Err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// PyTorch's own nn.TransformerEncoderLayer: the packed in-projection sliced into Q, K and V becomes three MatMuls,
    /// the heads-in-batch attention ([L, B·H, hd], Q pre-scaled by 1/√hd) one Attention node (the export has no padding
    /// mask). Per token of the 16 held-out inputs (8 tokens each). Measured: mean cosine 0.99992, min 0.99958, largest
    /// error 4.07 % of max |reference|; the bounds sit just outside. For scale, the float layer with uniform attention
    /// scores mean 0.99747, min 0.97853 against torch (printed by export.py), so the bounds tell a broken attention.
    /// </summary>
    [Fact]
    public void TorchEncoderLayerMatchesOnnxRuntime()
    {
        var m = _m.Models["torch-encoder-layer"];
        var (cos, rel, _) = Compare(m);
        _log.WriteLine($"torch-encoder-layer: {m.Result.Model.Nodes.Count} nodes ({Counts(m)}); {cos.Length} tokens: cosine mean {cos.Average():F5} min {cos.Min():F5}; max |err| {rel:P2} of max|ref|");
        Assert.Equal(128, cos.Length);
        Assert.Equal(6, m.Result.OpCounts["MatMul"]); // Q, K, V cut from the packed in-projection; out_proj, linear1, linear2
        Assert.Equal(1, m.Result.OpCounts["Attention"]);
        Assert.True(cos.Average() >= LayerMeanCosine && cos.Min() >= LayerMinCosine, $"cosine mean {cos.Average():F5} min {cos.Min():F5}");
        Assert.True(rel <= LayerMaxRelErr, $"max error {rel:P2} of max |reference|");
    }

    private const double LayerMeanCosine = 0.9998, LayerMinCosine = 0.9993, LayerMaxRelErr = 0.05;

    private static string Counts(TorchModel m) => string.Join(", ", m.Result.OpCounts.Select(kv => $"{kv.Key} {kv.Value}"));
}
