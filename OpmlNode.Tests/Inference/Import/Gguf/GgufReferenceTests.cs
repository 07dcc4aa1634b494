using OpmlNode.Inference.Import.Gguf;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>
/// The committed F32 GGUF is right: llama.cpp (LLamaSharp, the independent reader) gives the torch model's float
/// logits that the training tool exported, and so does the node's own reader with its float reference model, on it
/// and on the F16 and Q8_0 copies llama.cpp's quantizer makes of it.
/// </summary>
public sealed class GgufReferenceTests(ITestOutputHelper output)
{
    [Fact]
    public void Llama_cpp_on_the_f32_gguf_gives_the_torch_logits()
    {
        var (tokens, logits) = KjvModel.TorchReference();
        using var cpp = new LlamaCpp(KjvModel.Gguf("f32"));
        Assert.Equal(259, cpp.Vocab);
        double worst = 0, minCos = 1;
        for (int s = 0; s < tokens.Length; s++)
        {
            var got = cpp.Logits(tokens[s]);
            for (int i = 0; i < tokens[s].Length; i++)
            {
                worst = Math.Max(worst, LogitMetrics.MaxAbsDiff(got[i], logits[s][i]));
                minCos = Math.Min(minCos, LogitMetrics.Cosine(got[i], logits[s][i]));
                Assert.Equal(LogitMetrics.Argmax(logits[s][i]), LogitMetrics.Argmax(got[i]));
            }
        }
        output.WriteLine($"llama.cpp F32 vs torch: max |Δlogit| {worst:E2}, min cosine {minCos:F8} over {tokens.Length}×{tokens[0].Length} positions");
        Assert.True(worst < 2e-4, $"max |Δlogit| {worst}"); // measured 3.9e-5
    }

    /// <summary>
    /// What llama.cpp's quantizer writes (KjvModel's F16 and Q8_0 copies) and the node's reader takes: every 2-D weight,
    /// token embedding and output included, in the file's type; the 1-D norms F32; and its own metadata.
    /// </summary>
    [Theory]
    [InlineData("f16", GgufTensorType.F16, 1)]
    [InlineData("q8_0", GgufTensorType.Q8_0, 7)]
    public void Llama_cpp_quantizes_every_matrix_and_keeps_the_norms_f32(string type, GgufTensorType matrixType, int fileType)
    {
        using var f = GgufFile.Open(KjvModel.Gguf(type));
        foreach (var t in f.Tensors)
            output.WriteLine($"{t.Name,-26} [{string.Join(", ", t.Dims)}] {t.Type}");
        foreach (var key in f.Metadata.Keys.Where(k => k.StartsWith("general.", StringComparison.Ordinal)))
            output.WriteLine($"{key} = {f.Get(key)}");
        Assert.Equal(4 * 9 + 3, f.Tensors.Count);
        foreach (var t in f.Tensors)
            Assert.True(t.Type == (t.Dims.Length == 1 ? GgufTensorType.F32 : matrixType), $"{t.Name}: {t.Type}");
        Assert.Equal(fileType, f.GetInteger("general.file_type"));
        Assert.True(f.Has("general.quantization_version"));
        var c = GgufLlamaConfig.From(f);
        Assert.Equal((128, 4, 4, 2, 384, 256), (c.Dim, c.Layers, c.Heads, c.KvHeads, c.Ffn, c.ContextLength));
    }

    // llama.cpp multiplies F16 weights with F16-rounded activations and Q8_0 weights with Q8_0-quantised activations
    // (ggml's vec_dot types), while the node's float model dequantises the weights and keeps activations float32:
    // hence the looser bounds for those two files.
    [Theory]
    [InlineData("f32", 2e-4, 0.9999999)] // measured 4.0e-5, 1.00000000
    [InlineData("f16", 1e-2, 0.9999995)] // 5.6e-3, 0.99999990
    [InlineData("q8_0", 0.25, 0.9998)] // 0.17, 0.99983
    public void The_node_reader_and_its_float_model_agree_with_llama_cpp(string type, double maxDiff, double minCosine)
    {
        var (tokens, _) = KjvModel.TorchReference();
        var path = KjvModel.Gguf(type);
        using var cpp = new LlamaCpp(path);
        var ours = new LlamaFloat(LlamaWeights.Load(path));
        double worst = 0, minCos = 1;
        foreach (var seq in tokens)
        {
            var a = cpp.Logits(seq);
            var b = ours.Forward(seq);
            for (int i = 0; i < seq.Length; i++)
            {
                worst = Math.Max(worst, LogitMetrics.MaxAbsDiff(a[i], b[i]));
                minCos = Math.Min(minCos, LogitMetrics.Cosine(a[i], b[i]));
            }
        }
        output.WriteLine($"{type}: LlamaFloat (node reader) vs llama.cpp: max |Δlogit| {worst:E2}, min cosine {minCos:F8}");
        Assert.True(worst < maxDiff, $"max |Δlogit| {worst}");
        Assert.True(minCos > minCosine, $"min cosine {minCos}");
    }
}
