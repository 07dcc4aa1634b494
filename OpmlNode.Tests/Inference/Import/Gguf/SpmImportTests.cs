using System.Text.Json;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>models/llama-spm (a SentencePiece vocabulary) through the import, the backends and the CLI.</summary>
public sealed class SpmImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-spm").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Calibration => Repo.Path("models", "llama-kjv", "calibration-kjv.txt");

    [Fact]
    public void Import_info_and_prompt_inference()
    {
        var model = Path.Combine(_dir, "spm.opml");
        var r = OpmlNodeCli.Run("model", "import-gguf", SpmModel.Gguf, "--calibrate", Calibration, "--out", model);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("vocab 512 (512 tokens, SentencePiece BPE", r.Out);
        var file = ModelVocabFile.TryRead(model)!;
        Assert.Equal(ModelVocabFile.Spm, file.Tokenizer);
        Assert.True(file.AddBos && file.AddSpacePrefix && !file.AddEos);
        r = OpmlNodeCli.Run("model", "info", model, "--no-roots", "--max-nodes", "3");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("tokenizer:         512 tokens, SentencePiece BPE as llama.cpp's SPM tokenizer", r.Out);
        r = OpmlNodeCli.Run("infer", "--model", model, "--prompt", "And God said", "--max-tokens", "4");
        Assert.True(r.Code == 0, r.Err);
        var line = r.Out.Split('\n');
        var generated = line.Single(l => l.StartsWith("tokens:", StringComparison.Ordinal)).Split("generated after the prompt: ")[1].Trim().Split(',').Select(int.Parse).ToArray();
        Assert.Equal(4, generated.Length);
        var text = line.Single(l => l.StartsWith("text:", StringComparison.Ordinal))["text:".Length..].Trim();
        Assert.Equal("And God said" + SpmModel.Vocab.DecodePieces(generated), text);
    }

    [Fact]
    public void Every_backend_gives_the_same_slot_roots()
    {
        var w = LlamaWeights.Load(SpmModel.Gguf);
        var vocab = SpmModel.Vocab;
        var calib = vocab.Encode(File.ReadAllText(Calibration));
        var import = GgufLlamaImporter.Import(w, GgufLlamaImporter.Windows(calib, w.Config.ContextLength, 8), new GgufImportOptions());
        var path = Path.Combine(_dir, "spm.opml");
        ModelWriter.Write(path, import.Model);
        using var m = ModelReader.Open(path);
        var prompt = vocab.Encode("In the beginning God created");
        Assert.Equal(14, prompt.Length); // BOS and 13 pieces for the 28 bytes
        var input = TaskInput.FromTokens(m, prompt).Bytes;
        int passes = prompt.Length + 2;
        var cpu = ModelEquivalence.AssertBackendsAgree(m, input, passes);
        ModelEquivalence.AssertVmAgrees(m, input, passes, cpu, Enumerable.Range(0, m.Nodes.Count).Select(j => cpu.SlotCount - m.Nodes.Count + j));
    }

    [Fact]
    public void Sidecars_without_a_tokenizer_field_are_byte_vocabularies()
    {
        var model = Path.Combine(_dir, "old.opml");
        string[] tokens = [.. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), "<unk>", "<s>", "</s>"];
        // What imports before the SentencePiece tokenizer wrote.
        File.WriteAllText(ModelVocabFile.PathFor(model), JsonSerializer.Serialize(new { Source = "x.gguf", LogitScale = 0.5, Tokens = tokens, TokenTypes = (int[])[.. Enumerable.Repeat(6, 256), 2, 3, 3] }));
        var v = ModelVocabFile.TryRead(model)!;
        Assert.Null(v.Tokenizer);
        Assert.IsType<GgufByteVocab>(v.Vocab());
        Assert.Equal([0x41, 0x20], v.Vocab().Encode("A "));
        // And an SPM sidecar reads back to the same tokenizer.
        using var f = GgufFile.Open(SpmModel.Gguf);
        var spm = Path.Combine(_dir, "spm.opml");
        ModelVocabFile.FromGguf(f, GgufLlamaConfig.From(f), "llama-spm-f32.gguf").Write(spm);
        var back = ModelVocabFile.TryRead(spm)!.Vocab();
        foreach (var s in SpmModel.Strings().Take(60)) Assert.Equal(SpmModel.Vocab.Encode(s), back.Encode(s));
    }
}
