using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>`model import-gguf`, `model info` and `infer --prompt` as a user runs them.</summary>
public sealed class ImportGgufCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Import_info_and_prompt_inference()
    {
        var model = Path.Combine(_dir, "kjv.opml");
        var r = OpmlNodeCli.Run("model", "import-gguf", KjvModel.Gguf("q8_0"), "--calibrate", Repo.Path("models", "llama-kjv", "calibration-kjv.txt"), "--out", model);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("calibrated on 4096 tokens", r.Out);
        Assert.True(File.Exists(Path.Combine(_dir, "kjv.vocab.json")));
        r = OpmlNodeCli.Run("model", "info", model, "--no-roots", "--max-nodes", "5");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("tokenizer:         259 tokens", r.Out);
        r = OpmlNodeCli.Run("infer", "--model", model, "--prompt", "And God said", "--max-tokens", "12");
        Assert.True(r.Code == 0, r.Err);
        var text = r.Out.Split('\n').Single(l => l.StartsWith("text:", StringComparison.Ordinal))["text:".Length..].Trim();
        Assert.StartsWith("And God said", text);
        Assert.Equal("And God said".Length + 12, System.Text.Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public void Bad_files_and_options_are_one_clear_error_line()
    {
        var garbage = Path.Combine(_dir, "junk.gguf");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var truncated = Path.Combine(_dir, "cut.gguf");
        File.WriteAllBytes(truncated, File.ReadAllBytes(KjvModel.Gguf("q8_0"))[..100_000]);
        var gpt2 = Path.Combine(_dir, "gpt2.gguf");
        File.WriteAllBytes(gpt2, GgufTestWriter.TinyLlama(arch: "gpt2").ToBytes());
        var noKey = Path.Combine(_dir, "nokey.gguf");
        File.WriteAllBytes(noKey, GgufTestWriter.TinyLlama(omitKey: "llama.block_count").ToBytes());
        foreach (var (file, message) in new[]
        {
            (garbage, "error: GGUF: bad magic"),
            (truncated, "error: GGUF: truncated"),
            (gpt2, "error: GGUF: architecture 'gpt2' is not supported (only llama)"),
            (noKey, "error: GGUF: missing key llama.block_count"),
        })
        {
            var r = OpmlNodeCli.Run("model", "import-gguf", file, "--out", Path.Combine(_dir, "x.opml"));
            Assert.Equal(2, r.Code);
            Assert.StartsWith(message, r.Err);
            Assert.Single(r.Err.Trim().Split('\n'));
        }
        var synth = Path.Combine(_dir, "synth.opml");
        Assert.Equal(0, OpmlNodeCli.Run("model", "synth", "--arch", "llama", "--preset", "tiny", "--out", synth).Code);
        var p = OpmlNodeCli.Run("infer", "--model", synth, "--prompt", "hi");
        Assert.Equal(2, p.Code);
        Assert.Contains("--prompt needs the model's vocabulary synth.vocab.json", p.Err);
    }
}
