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
