using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>
/// The imported int8 model against llama.cpp's float logits on held-out text (Revelation, never trained on):
/// cosine of the logit vectors, top-1 agreement and perplexity, over 4 windows of 256 positions (1020 predictions).
/// The int8-residual row measures what the I16 residual stream buys (the same import with an int8 stream).
/// </summary>
public sealed class GgufImportAccuracyTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Window starts in the held-out text (bytes; fixed so the figures are reproducible).</summary>
    private static readonly int[] Starts = [0, 16000, 32000, 48000];
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-import").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, bool, bool), Lazy<GgufImport>> Imports = new();

    /// <summary>The committed model imported as the README says (cached: several test classes use the same import).</summary>
    public static GgufImport ImportKjv(string type, bool int8Residual = false, bool selfSampled = false) =>
        Imports.GetOrAdd((type, int8Residual, selfSampled), k => new Lazy<GgufImport>(() => Import(k.Item1, new GgufImportOptions { Int8Residual = k.Item2 }, k.Item3))).Value;

    private static GgufImport Import(string type, GgufImportOptions options, bool selfSampled)
    {
        var w = LlamaWeights.Load(KjvModel.Gguf(type));
        var vocab = new GgufByteVocab(w.Config.Tokens, w.Config.TokenTypes);
        var calib = selfSampled
            ? GgufLlamaImporter.SelfSampled(w, vocab.Encode("\n")[0], windows: 4, seed: 1) // what import-gguf does without --calibrate
            : vocab.Encode(File.ReadAllBytes(Repo.Path("models", "llama-kjv", "calibration-kjv.txt")));
        return GgufLlamaImporter.Import(w, GgufLlamaImporter.Windows(calib, w.Config.ContextLength, 16), options);
    }

    // Floors just under the measured figures (cosine 0.99967–0.99983, top-1 97.25–98.04 %, Δ perplexity −0.006 to
    // +0.005), far above issue 10's targets (cosine ≥ 0.98, top-1 ≥ 90 %), which are asserted too.
    [Theory]
    [InlineData("f32", false, false, 0.975)]
    [InlineData("f16", false, false, 0.97)]
    [InlineData("q8_0", false, false, 0.975)]
    [InlineData("f32", true, false, 0.975)]
    [InlineData("f32", false, true, 0.97)]
    public void Int8_import_tracks_llama_cpp_on_held_out_text(string type, bool int8Residual, bool selfSampled, double minTop1)
    {
        var import = ImportKjv(type, int8Residual, selfSampled);
        var path = Path.Combine(_dir, $"kjv-{type}.opml");
        ModelWriter.Write(path, import.Model);
        using var model = ModelReader.Open(path);
        using var cpp = new LlamaCpp(KjvModel.Gguf(type));
        var held = KjvModel.HeldOut();
        int ctx = import.Config.ContextLength;
        double cosSum = 0, nllFloat = 0, nllInt = 0;
        int n = 0, agree = 0;
        foreach (var start in Starts)
        {
            var tokens = held.Skip(start).Take(ctx).Select(b => (int)b).ToArray();
            var reference = cpp.Logits(tokens);
            var ours = DecoderLogits.Run(model, tokens);
            for (int i = 0; i < tokens.Length - 1; i++)
            {
                var q = ours[i].Select(v => (float)(v * import.LogitScale)).ToArray();
                cosSum += LogitMetrics.Cosine(q, reference[i]);
                if (LogitMetrics.Argmax(q) == LogitMetrics.Argmax(reference[i])) agree++;
                nllFloat += LogitMetrics.Nll(reference[i], tokens[i + 1]);
                nllInt += LogitMetrics.Nll(q, tokens[i + 1]);
                n++;
            }
        }
        double cos = cosSum / n, top1 = (double)agree / n, pplFloat = Math.Exp(nllFloat / n), pplInt = Math.Exp(nllInt / n);
        output.WriteLine($"{type}{(int8Residual ? " (int8 residual)" : "")}{(selfSampled ? " (self-sampled calibration)" : "")}: {n} positions of held-out text: mean cosine {cos:F5}, top-1 agreement {100.0 * top1:F2} %, " +
            $"perplexity llama.cpp float {pplFloat:F4}, int8 engine {pplInt:F4} (Δ {pplInt - pplFloat:+0.0000;-0.0000})");
        Assert.True(n >= 500);
        Assert.True(cos >= 0.98, $"mean cosine {cos}");
        Assert.True(top1 >= 0.90, $"top-1 agreement {top1}");
        Assert.True(cos >= 0.9996, $"mean cosine {cos}");
        Assert.True(top1 >= minTop1, $"top-1 agreement {top1}");
        Assert.True(Math.Abs(pplInt - pplFloat) < 0.01, $"perplexity {pplInt} against {pplFloat}");
    }
}
