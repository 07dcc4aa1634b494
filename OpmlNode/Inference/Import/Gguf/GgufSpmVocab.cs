using System.Text;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// A GGUF SentencePiece vocabulary (tokenizer.ggml.model = "llama": pieces, scores, token types, byte fallback)
/// tokenized exactly as llama.cpp does (llama-vocab.cpp, llm_tokenizer_spm): spaces become ▁ (one prefixed when
/// add_space_prefix), the text is split into characters, and the adjacent pair whose concatenation is a token of the
/// highest score merges first — on equal scores the leftmost pair; a symbol that is no token is its UTF-8 bytes as
/// byte tokens. Own code, not Microsoft.ML.Tokenizers' SentencePiece BPE: that one merges the rightmost of equal-score
/// pairs first (its SymbolPair.CompareTo), so runs such as "▁▁▁▁▁" split differently from llama.cpp (SpmTokenizerTests).
/// Decoding is llama.cpp's detokenizer.
/// </summary>
public sealed class GgufSpmVocab : ITextVocab
{
    private readonly IReadOnlyList<string> _tokens;
    private readonly IReadOnlyList<float> _scores;
    private readonly IReadOnlyList<int> _types;
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly int[] _byteIds = new int[256];

    public GgufSpmVocab(IReadOnlyList<string> tokens, IReadOnlyList<float> scores, IReadOnlyList<int> types, int bosId, int eosId, bool addBos, bool addEos, bool addSpacePrefix)
    {
        if (scores.Count != tokens.Count || types.Count != tokens.Count) throw new InvalidModelException($"GGUF: {scores.Count} scores and {types.Count} token types for {tokens.Count} tokens");
        foreach (var id in new[] { bosId, eosId })
            if (id < 0 || id >= tokens.Count) throw new InvalidModelException($"GGUF: special token id {id} is outside the vocabulary of {tokens.Count}");
        (_tokens, _scores, _types, BosId, EosId, AddBos, AddEos, AddSpacePrefix) = (tokens, scores, types, bosId, eosId, addBos, addEos, addSpacePrefix);
        // Every token's text, the last of equal texts winning (llama.cpp's token_to_id); its byte tokens by spelling.
        for (int i = 0; i < tokens.Count; i++) _ids[tokens[i]] = i;
        for (int b = 0; b < 256; b++)
            _byteIds[b] = _ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : throw new InvalidModelException($"GGUF: the vocabulary has no byte token <0x{b:X2}> (SentencePiece byte fallback needs all 256)");
        if (types.Any(t => t == LlamaPieces.UserDefined))
            throw new InvalidModelException("GGUF: user-defined tokens (token type 4) are not supported by the SentencePiece tokenizer");
    }

    public int BosId { get; }
    public int EosId { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }
    public bool AddSpacePrefix { get; }

    public string Description => $"{_tokens.Count} tokens, SentencePiece BPE as llama.cpp's SPM tokenizer (byte fallback; add_bos {(AddBos ? "on" : "off")}, add_space_prefix {(AddSpacePrefix ? "on" : "off")})";

    public int[] Encode(string text) => Encode(text, AddBos);

    /// <summary>llama_tokenize(text, add_special: <paramref name="addSpecial"/>, parse_special: false).</summary>
    public int[] Encode(string text, bool addSpecial)
    {
        var ids = new List<int>();
        if (addSpecial && AddBos) ids.Add(BosId);
        if (text.Length > 0) Merge((AddSpacePrefix ? " " + text : text).Replace(' ', '\u2581'), ids);
        if (addSpecial && AddEos) ids.Add(EosId);
        return [.. ids];
    }

    private readonly record struct Symbol(int Start, int Length, int Prev, int Next);

    private void Merge(string text, List<int> output)
    {
        // One symbol per character (a surrogate pair is one), linked left to right.
        var symbols = new List<Symbol>();
        for (int i = 0; i < text.Length;)
        {
            int n = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol(i, n, symbols.Count - 1, i + n < text.Length ? symbols.Count + 1 : -1));
            i += n;
        }
        // Highest score first; on equal scores the leftmost (llama.cpp's llm_bigram_spm comparator).
        var queue = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int length = symbols[left].Length + symbols[right].Length;
            if (_ids.TryGetValue(text.Substring(symbols[left].Start, length), out int id)) queue.Enqueue((left, right, length), (_scores[id], left));
        }
        for (int i = 1; i < symbols.Count; i++) TryAdd(i - 1, i);
        while (queue.TryDequeue(out var pair, out _))
        {
            var (l, r) = (symbols[pair.Left], symbols[pair.Right]);
            if (l.Length == 0 || r.Length == 0 || l.Length + r.Length != pair.Length) continue; // one side merged since
            symbols[pair.Left] = l with { Length = pair.Length, Next = r.Next };
            symbols[pair.Right] = r with { Length = 0 };
            if (r.Next >= 0) symbols[r.Next] = symbols[r.Next] with { Prev = pair.Left };
            TryAdd(l.Prev, pair.Left);
            TryAdd(pair.Left, r.Next);
        }
        // A merged symbol is always a token; a single character that is none becomes its UTF-8 bytes (byte fallback).
        // (llama.cpp's rev_merge re-split never applies: it is for merged symbols that are no token.)
        for (int i = 0; i >= 0; i = symbols[i].Next)
        {
            var piece = text.Substring(symbols[i].Start, symbols[i].Length);
            if (_ids.TryGetValue(piece, out int id)) output.Add(id);
            else foreach (var b in Encoding.UTF8.GetBytes(piece)) output.Add(_byteIds[b]);
        }
    }

    // llama_detokenize: a leading BOS (add_bos) and a trailing EOS (add_eos) are dropped; the first piece loses one
    // leading space (add_space_prefix) unless a BOS was dropped — llama.cpp's rule, so [BOS, ▁In] is " In".
    public string Decode(IEnumerable<int> ids)
    {
        var list = ids.ToList();
        bool bos = AddBos && list.Count > 0 && list[0] == BosId;
        if (bos) list.RemoveAt(0);
        if (AddEos && list.Count > 0 && list[^1] == EosId) list.RemoveAt(list.Count - 1);
        return Encoding.UTF8.GetString(LlamaPieces.Bytes(_tokens, _types, list, stripFirstSpace: AddSpacePrefix && !bos));
    }

    public string DecodePieces(IEnumerable<int> ids) => Encoding.UTF8.GetString(LlamaPieces.Bytes(_tokens, _types, ids, stripFirstSpace: false));
}
