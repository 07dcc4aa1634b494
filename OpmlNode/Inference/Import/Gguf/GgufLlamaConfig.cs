using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// The LLaMA hyper-parameters of a GGUF file (llama.cpp's <c>llama.*</c> keys) and its vocabulary. Only
/// <c>general.architecture = llama</c> is accepted; every required key missing is an error naming it.
/// </summary>
public sealed record GgufLlamaConfig(
    int ContextLength, int Dim, int Layers, int Ffn, int Heads, int KvHeads, double RmsEps, double RopeBase,
    IReadOnlyList<string> Tokens, IReadOnlyList<int> TokenTypes)
{
    public int HeadDim => Dim / Heads;
    public int Vocab => Tokens.Count;

    public static GgufLlamaConfig From(GgufFile f)
    {
        var arch = f.GetString("general.architecture");
        if (arch != "llama") throw new InvalidModelException($"GGUF: architecture '{arch}' is not supported (only llama)");
        int Int(string key)
        {
            long v = f.GetInteger(key);
            return v is >= 1 and <= int.MaxValue ? (int)v : throw new InvalidModelException($"GGUF: key {key} = {v} is out of range");
        }
        int ctx = Int("llama.context_length"), dim = Int("llama.embedding_length"), layers = Int("llama.block_count");
        int ffn = Int("llama.feed_forward_length"), heads = Int("llama.attention.head_count");
        int kvHeads = f.Has("llama.attention.head_count_kv") ? Int("llama.attention.head_count_kv") : heads;
        double eps = f.GetFloat("llama.attention.layer_norm_rms_epsilon");
        double ropeBase = f.Has("llama.rope.freq_base") ? f.GetFloat("llama.rope.freq_base") : 10000.0;
        var model = f.GetString("tokenizer.ggml.model");
        var tokens = f.GetArray("tokenizer.ggml.tokens").Select(v => v.Value as string ?? throw new InvalidModelException("GGUF: tokenizer.ggml.tokens must be an array of strings")).ToArray();
        var types = f.Has("tokenizer.ggml.token_type")
            ? f.GetArray("tokenizer.ggml.token_type").Select(v => v.IsInteger ? (int)(long)v.Value : throw new InvalidModelException("GGUF: tokenizer.ggml.token_type must be integers")).ToArray()
            : Enumerable.Repeat(1, tokens.Length).ToArray();
        if (model is not ("llama" or "gpt2")) throw new InvalidModelException($"GGUF: tokenizer.ggml.model '{model}' is not supported (llama, gpt2)");
        if (dim % heads != 0 || (dim / heads) % 2 != 0) throw new InvalidModelException($"GGUF: embedding length {dim} is not an even head dimension times {heads} heads");
        if (heads % kvHeads != 0) throw new InvalidModelException($"GGUF: {heads} heads are not a multiple of {kvHeads} KV heads");
        if (!(eps > 0 && eps < 1)) throw new InvalidModelException($"GGUF: llama.attention.layer_norm_rms_epsilon = {eps} is out of range");
        if (!(ropeBase > 1)) throw new InvalidModelException($"GGUF: llama.rope.freq_base = {ropeBase} is out of range");
        if (types.Length != tokens.Length) throw new InvalidModelException($"GGUF: {types.Length} token types for {tokens.Length} tokens");
        if (f.Has("llama.rope.dimension_count") && f.GetInteger("llama.rope.dimension_count") != dim / heads)
            throw new InvalidModelException($"GGUF: partial rotary embeddings (llama.rope.dimension_count {f.GetInteger("llama.rope.dimension_count")} < head dimension {dim / heads}) are not supported");
        // Variants this importer would silently get wrong are refused by name.
        if (f.Has("llama.rope.scaling.type") && f.GetString("llama.rope.scaling.type") is var scaling and not "none")
            throw new InvalidModelException($"GGUF: RoPE scaling '{scaling}' (llama.rope.scaling.type) is not supported");
        foreach (var key in new[] { "llama.attention.key_length", "llama.attention.value_length" })
            if (f.Has(key) && f.GetInteger(key) != dim / heads)
                throw new InvalidModelException($"GGUF: {key} = {f.GetInteger(key)} differs from the head dimension {dim / heads} (not supported)");
        if (f.Has("llama.expert_count") && f.GetInteger("llama.expert_count") > 0)
            throw new InvalidModelException("GGUF: mixture-of-experts LLaMA (llama.expert_count) is not supported");
        return new GgufLlamaConfig(ctx, dim, layers, ffn, heads, kvHeads, eps, ropeBase, tokens, types);
    }
}
