using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>`model import-onnx`, `model info` and `infer --text` as a user runs them, and their errors (exit 2, one line).</summary>
public sealed class OnnxCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ImportInfoAndInferTextOnMiniLm()
    {
        var cal = Path.Combine(_dir, "cal.txt");
        File.WriteAllLines(cal, MiniLmSentences.Calibration);
        var model = Path.Combine(_dir, "minilm.opml");
        var import = OpmlNodeCli.Run("model", "import-onnx", MiniLmFiles.ModelPath, "--calibrate", cal, "--vocab", MiniLmFiles.VocabPath, "--max-seq", "32", "--out", model);
        Assert.True(import.Code == 0, import.Err);
        var info = OpmlNodeCli.Run("model", "info", model);
        Assert.Equal(0, info.Code);
        Assert.Contains("tokenizer:         WordPiece (BERT, Microsoft.ML.Tokenizers), 30,522 tokens", info.Out);
        var infer = OpmlNodeCli.Run("infer", "--model", model, "--text", "The cat sat on the mat.");
        Assert.True(infer.Code == 0, infer.Err);
        Assert.Contains("embedding:    384 dims", infer.Out);
    }

    /// <summary>
    /// An encoder that takes raw ids and has no vocabulary (models/onnx-torch/encoder) imports from its .pb id tensors:
    /// the same file as the API import, and `infer --input-tokens` runs it and prints the real output values.
    /// </summary>
    [Fact]
    public void RawIdEncoderImportsFromIdTensorsAndInfersTokens()
    {
        var dir = Repo.Path("models", "onnx-torch", "encoder");
        var sets = Directory.GetDirectories(Path.Combine(dir, "calibrate")).Order(StringComparer.Ordinal).ToArray();
        var model = Path.Combine(_dir, "encoder.opml");
        var import = OpmlNodeCli.Run(["model", "import-onnx", Path.Combine(dir, "model.onnx"), "--calibrate", .. sets.SelectMany(s => new[] { Path.Combine(s, "input_0.pb"), Path.Combine(s, "input_1.pb") }), "--out", model]);
        Assert.True(import.Code == 0, import.Err);
        Assert.Contains("calibrated on 16 samples", import.Out);

        var onnx = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        var samples = sets.Select(s => (IReadOnlyDictionary<string, OnnxTensor>)new Dictionary<string, OnnxTensor>
        {
            ["input_ids"] = OnnxModel.LoadTensor(Path.Combine(s, "input_0.pb")),
            ["attention_mask"] = OnnxModel.LoadTensor(Path.Combine(s, "input_1.pb")),
        }).ToList();
        var api = Path.Combine(_dir, "api.opml");
        ModelWriter.Write(api, OnnxImport.Run(onnx, samples, new OnnxImportOptions { MaxSequence = 16, Architecture = "bert/encoder" }).Model);
        Assert.Equal(File.ReadAllBytes(api), File.ReadAllBytes(model));

        Assert.Contains("inputs raw token ids (I32 [16], pad 0; no vocabulary)", OpmlNodeCli.Run("model", "info", model).Out);
        var infer = OpmlNodeCli.Run("infer", "--model", model, "--input-tokens", "5,17,42");
        Assert.True(infer.Code == 0, infer.Err);
        Assert.Contains("real values:  last_hidden_state = q · ", infer.Out);
        Assert.DoesNotContain("class:", infer.Out);

        var vocabOnMlp = OpmlNodeCli.Run("model", "import-onnx", Repo.Path("models", "onnx-torch", "mlp", "model.onnx"), "--calibrate", Path.Combine(sets[0], "input_0.pb"), "--vocab", MiniLmFiles.VocabPath, "--out", Path.Combine(_dir, "x.opml"));
        Assert.Equal(2, vocabOnMlp.Code);
        Assert.Contains("--vocab is for text encoders", vocabOnMlp.Err);
    }

    [Fact]
    public void BadOnnxFilesExit2WithOneClearLine()
    {
        var truncated = Path.Combine(_dir, "truncated.onnx");
        File.WriteAllBytes(truncated, File.ReadAllBytes(MiniLmFiles.ModelPath)[..4096]);
        var maxPool = Path.Combine("/usr/share/libonnx-testdata/data/node", "test_maxpool_1d_default");
        var sample = Path.Combine(maxPool, "test_data_set_0", "input_0.pb");
        foreach (var (file, expected) in new[] { (truncated, "ONNX"), (Path.Combine(maxPool, "model.onnx"), "unsupported op MaxPool") })
        {
            var r = OpmlNodeCli.Run("model", "import-onnx", file, "--calibrate", sample, "--out", Path.Combine(_dir, "x.opml"));
            Assert.Equal(2, r.Code);
            Assert.Contains(expected, r.Err);
            Assert.DoesNotContain("   at ", r.Err); // no stack trace
        }
    }
}
