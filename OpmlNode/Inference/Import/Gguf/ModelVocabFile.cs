using System.Text.Json;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// The sidecar an import writes beside its model (<c>M.opml</c> → <c>M.vocab.json</c>): the vocabulary (so
/// <c>infer --prompt</c> can turn text into tokens and back) and the real value of one unit of the integer logits.
/// Not part of the model's commitments: the graph sees only token ids. <see cref="Tokenizer"/> "spm" (with the
/// scores and llama.cpp's flags) is a SentencePiece vocabulary; absent (files before it) or "bytes" is byte tokens.
/// </summary>
public sealed record ModelVocabFile(string Source, double LogitScale, string[] Tokens, int[] TokenTypes,
    string? Tokenizer = null, float[]? Scores = null, int BosId = 1, int EosId = 2, bool AddBos = false, bool AddEos = false, bool AddSpacePrefix = false)
{
    public const string Spm = "spm", Bytes = "bytes";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>
    /// The vocabulary of a GGUF as llama.cpp reads it (tokenizer.ggml.*; SPM defaults: add_bos and add_space_prefix
    /// on, add_eos off, bos 1, eos 2). A "llama" vocabulary with word pieces (any NORMAL token) is SentencePiece; one of
    /// byte tokens only (models/llama-kjv) stays byte-level, as it was trained (llama.cpp would prefix a space).
    /// </summary>
    public static ModelVocabFile FromGguf(GgufFile f, GgufLlamaConfig config, string source)
    {
        var tokens = config.Tokens.ToArray();
        var types = config.TokenTypes.ToArray();
        if (f.GetString("tokenizer.ggml.model") != "llama" || !types.Contains(LlamaPieces.Normal))
            return new ModelVocabFile(source, 0, tokens, types, Bytes);
        var scores = f.Has("tokenizer.ggml.scores")
            ? f.GetArray("tokenizer.ggml.scores").Select(v => v.IsFloat ? (float)(double)v.Value : throw new InvalidModelException("GGUF: tokenizer.ggml.scores must be floats")).ToArray()
            : new float[tokens.Length];
        int Id(string key, int fallback) => f.Has(key) ? (int)Math.Clamp(f.GetInteger(key), -1, int.MaxValue) : fallback;
        bool Flag(string key, bool fallback) => !f.Has(key) ? fallback : f.Get(key).Value as bool? ?? throw new InvalidModelException($"GGUF: {key} must be a bool");
        var v = new ModelVocabFile(source, 0, tokens, types, Spm, scores, Id("tokenizer.ggml.bos_token_id", 1), Id("tokenizer.ggml.eos_token_id", 2),
            Flag("tokenizer.ggml.add_bos_token", true), Flag("tokenizer.ggml.add_eos_token", false), Flag("tokenizer.ggml.add_space_prefix", true));
        v.Vocab(); // refuses what the tokenizer cannot take, at import time
        return v;
    }

    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".vocab.json");

    public void Write(string modelPath) => File.WriteAllText(PathFor(modelPath), JsonSerializer.Serialize(this, Json));

    public static ModelVocabFile? TryRead(string modelPath)
    {
        var path = PathFor(modelPath);
        if (!File.Exists(path)) return null;
        try
        {
            var v = JsonSerializer.Deserialize<ModelVocabFile>(File.ReadAllText(path), Json) ?? throw new InvalidModelException($"{path}: empty");
            if (v.Tokens is null || v.TokenTypes is null || v.Tokens.Length != v.TokenTypes.Length || v.Tokens.Any(t => t is null))
                throw new InvalidModelException($"{path}: needs Tokens and TokenTypes of the same length");
            if (v.Tokenizer is not (null or Bytes or Spm)) throw new InvalidModelException($"{path}: tokenizer '{v.Tokenizer}' is not {Bytes} or {Spm}");
            if (v.Tokenizer == Spm && v.Scores?.Length != v.Tokens.Length) throw new InvalidModelException($"{path}: a {Spm} vocabulary needs one score per token");
            return v;
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"{path}: not a vocabulary file ({e.Message})");
        }
    }

    public ITextVocab Vocab() => Tokenizer == Spm
        ? new GgufSpmVocab(Tokens, Scores!, TokenTypes, BosId, EosId, AddBos, AddEos, AddSpacePrefix)
        : new GgufByteVocab(Tokens, TokenTypes);
}
