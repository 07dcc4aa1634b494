using System.Text;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// Text ↔ token ids through a GGUF vocabulary's 256 byte tokens "&lt;0xXX&gt;" (SentencePiece byte fallback): each
/// UTF-8 byte is one token. Exact for a byte-level model such as models/llama-kjv; for a larger SentencePiece vocabulary
/// it is a valid but longer encoding (no merges). Decoding maps byte tokens back to bytes, other tokens to their text
/// (▁ as a space), and drops control and unknown tokens, as llama.cpp does.
/// </summary>
public sealed class GgufByteVocab : ITextVocab
{
    private readonly int[] _byteToId = new int[256];
    private readonly IReadOnlyList<string> _tokens;
    private readonly IReadOnlyList<int> _types;

    public GgufByteVocab(IReadOnlyList<string> tokens, IReadOnlyList<int>? types = null)
    {
        _tokens = tokens;
        _types = types ?? tokens.Select(t => LlamaPieces.ByteOf(t) >= 0 ? LlamaPieces.Byte : LlamaPieces.Normal).ToArray();
        Array.Fill(_byteToId, -1);
        for (int id = 0; id < tokens.Count; id++)
            if (LlamaPieces.ByteOf(tokens[id]) is var b and >= 0 && _byteToId[b] < 0)
                _byteToId[b] = id;
        int missing = Array.IndexOf(_byteToId, -1);
        if (missing >= 0) throw new InvalidModelException($"GGUF: the vocabulary has no byte token <0x{missing:X2}> (text needs all 256 byte tokens)");
    }

    public string Description => $"{_tokens.Count} tokens, text as byte tokens <0x00>..<0xFF>";

    public IReadOnlyList<string> Tokens => _tokens;
    public IReadOnlyList<int> Types => _types;

    public int[] Encode(ReadOnlySpan<byte> utf8)
    {
        var ids = new int[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) ids[i] = _byteToId[utf8[i]];
        return ids;
    }

    public int[] Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    public byte[] DecodeBytes(IEnumerable<int> ids) => LlamaPieces.Bytes(_tokens, _types, ids, stripFirstSpace: false);

    /// <summary>The decoded text (invalid UTF-8 shown as U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    // No space prefix is added when encoding, so none is removed when decoding.
    public string DecodePieces(IEnumerable<int> ids) => Decode(ids);
}
