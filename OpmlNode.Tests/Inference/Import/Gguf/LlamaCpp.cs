using LLama;
using LLama.Common;
using LLama.Native;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>
/// llama.cpp (through LLamaSharp) as the independent float reference of a GGUF file: CPU only, KV cache F32, flash
/// attention off, logits for every position of a sequence fed from position 0.
/// </summary>
internal sealed class LlamaCpp : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly ModelParams _params;

    // llama.cpp logs every load to stderr; only errors are worth showing in a test run.
    static LlamaCpp() => NativeLogConfig.llama_log_set((level, message) =>
    {
        if (level == LLamaLogLevel.Error) Console.Error.Write(message);
    });

    public LlamaCpp(string gguf, int context = 256)
    {
        _params = new ModelParams(gguf)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)context,
            UBatchSize = (uint)context,
            GpuLayerCount = 0,
            Threads = 1,
            BatchThreads = 1,
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        _weights = LLamaWeights.LoadFromFile(_params);
    }

    public int Vocab => _weights.Vocab.Count;

    /// <summary>llama_tokenize(text, add_special: <paramref name="addBos"/>, parse_special: false).</summary>
    public int[] Tokenize(string text, bool addBos) =>
        [.. _weights.Tokenize(text, addBos, special: false, System.Text.Encoding.UTF8).Select(t => (int)t)];

    // LLamaSharp keeps llama_detokenize and the vocabulary pointer internal; the tests call them by reflection.
    private static readonly System.Reflection.MethodInfo DetokenizeApi = typeof(NativeApi).GetMethod("llama_detokenize", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
    private static readonly System.Reflection.PropertyInfo VocabPointer = typeof(SafeLlamaModelHandle.Vocabulary).GetProperty("VocabNative", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;

    /// <summary>llama_detokenize(ids, remove_special: true, unparse_special: false): llama.cpp's own text of the ids.</summary>
    public unsafe byte[] Detokenize(IReadOnlyList<int> ids)
    {
        var tokens = ids.ToArray();
        var text = new byte[16 * tokens.Length + 16];
        fixed (int* t = tokens)
        fixed (byte* o = text)
        {
            object[] args = [VocabPointer.GetValue(_weights.NativeHandle.Vocab)!, System.Reflection.Pointer.Box(t, typeof(LLamaToken*)), tokens.Length, System.Reflection.Pointer.Box(o, typeof(byte*)), text.Length, true, false];
            int n = (int)DetokenizeApi.Invoke(null, args)!;
            if (n < 0) throw new InvalidOperationException($"llama_detokenize needs {-n} bytes");
            return text[..n];
        }
    }

    /// <summary>llama_token_to_piece of each id (no leading space removed, special false), one after another.</summary>
    public byte[] Pieces(IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        var buf = new byte[256];
        foreach (var id in ids) bytes.AddRange(buf.AsSpan(0, (int)_weights.NativeHandle.TokenToSpan((LLamaToken)id, buf, 0, special: false)).ToArray());
        return [.. bytes];
    }

    /// <summary>
    /// llama.cpp's own quantizer (what <c>llama-quantize</c> runs): <paramref name="src"/> as <paramref name="type"/>
    /// into <paramref name="dst"/>. The output tensor is quantised too, as <c>llama-quantize</c>'s defaults do
    /// (LLamaSharp's default keeps it as it is).
    /// </summary>
    public static void Quantize(string src, string dst, LLamaFtype type)
    {
        // LLamaQuantizer calls into libllama without loading it first (loading happens in NativeApi's static
        // constructor, which a quantize-only process never reaches): DllNotFoundException. This loads it.
        NativeApi.llama_empty_call();
        if (!LLamaQuantizer.Quantize(src, dst, type, nthread: 1, allowRequantize: false, quantizeOutputTensor: true))
            throw new InvalidOperationException($"llama.cpp could not quantise {src} to {type}");
    }

    /// <summary>Logits [position][vocab] after feeding <paramref name="tokens"/> from position 0 in one batch.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        using var ctx = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, logits: true);
        var r = ctx.NativeHandle.Decode(batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {r}");
        return Enumerable.Range(0, tokens.Count).Select(i => ctx.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> (one token per decode after the prompt).</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int newTokens)
    {
        var all = prompt.ToList();
        var outTokens = new List<int>();
        for (int n = 0; n < newTokens && all.Count < _params.ContextSize; n++)
        {
            var last = Logits(all)[^1];
            int best = 0;
            for (int v = 1; v < last.Length; v++) if (last[v] > last[best]) best = v;
            all.Add(best);
            outTokens.Add(best);
        }
        return outTokens;
    }

    public void Dispose() => _weights.Dispose();
}
