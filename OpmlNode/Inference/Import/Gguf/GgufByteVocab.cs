using System.Text;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// Text ↔ token ids through a GGUF vocabulary's 256 byte tokens "&lt;0xXX&gt;" (SentencePiece byte fallback): each
/// UTF-8 byte is one token. Exact for a byte-level model such as models/llama-kjv; for a larger SentencePiece vocabulary
/// it is a valid but longer encoding (no merges). Decoding maps byte tokens back to bytes, other tokens to their text
/// (▁ as a space), and drops control tokens.
/// </summary>
public sealed class GgufByteVocab
{
    private const int ControlType = 3;
    private readonly int[] _byteToId = new int[256];
    private readonly IReadOnlyList<string> _tokens;
    private readonly IReadOnlyList<int> _types;

    public GgufByteVocab(IReadOnlyList<string> tokens, IReadOnlyList<int>? types = null)
    {
        _tokens = tokens;
        _types = types ?? Enumerable.Repeat(1, tokens.Count).ToArray();
        Array.Fill(_byteToId, -1);
        for (int id = 0; id < tokens.Count; id++)
            if (tokens[id] is { Length: 6 } t && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
                && int.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out int b) && _byteToId[b] < 0)
                _byteToId[b] = id;
        int missing = Array.IndexOf(_byteToId, -1);
        if (missing >= 0) throw new InvalidModelException($"GGUF: the vocabulary has no byte token <0x{missing:X2}> (text needs all 256 byte tokens)");
    }

    public IReadOnlyList<string> Tokens => _tokens;
    public IReadOnlyList<int> Types => _types;

    public int[] Encode(ReadOnlySpan<byte> utf8)
    {
        var ids = new int[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) ids[i] = _byteToId[utf8[i]];
        return ids;
    }

    public int[] Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    public byte[] DecodeBytes(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _tokens.Count || _types[id] == ControlType) continue;
            var t = _tokens[id];
            int b = Array.IndexOf(_byteToId, id);
            if (b >= 0) bytes.Add((byte)b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(t.Replace('\u2581', ' ')));
        }
        return bytes.ToArray();
    }

    /// <summary>The decoded text (invalid UTF-8 shown as U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));
}
