using System.Text;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// llama.cpp's token → text for a SentencePiece ("llama") vocabulary (<c>llama_token_to_piece</c>, special = false):
/// a byte token "&lt;0xXX&gt;" is its byte, a normal token its text with ▁ as a space, a user-defined token its text;
/// control, unknown and unused tokens give nothing.
/// </summary>
internal static class LlamaPieces
{
    public const int Normal = 1, UserDefined = 4, Byte = 6;

    /// <summary>The byte a token "&lt;0xXX&gt;" stands for, or -1.</summary>
    public static int ByteOf(string token) =>
        token is { Length: 6 } && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
        && int.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out int b) ? b : -1;

    /// <summary>
    /// The pieces of <paramref name="ids"/> one after another; <paramref name="stripFirstSpace"/> drops one leading
    /// space of the first token's piece (llama_detokenize with add_space_prefix). Ids out of range are skipped.
    /// </summary>
    public static byte[] Bytes(IReadOnlyList<string> tokens, IReadOnlyList<int> types, IEnumerable<int> ids, bool stripFirstSpace)
    {
        var bytes = new List<byte>();
        bool first = true;
        foreach (var id in ids)
        {
            if (id < 0 || id >= tokens.Count) continue;
            int start = bytes.Count;
            switch (types[id])
            {
                case Byte when ByteOf(tokens[id]) is var b and >= 0: bytes.Add((byte)b); break;
                case Normal: bytes.AddRange(Encoding.UTF8.GetBytes(tokens[id].Replace('\u2581', ' '))); break;
                case UserDefined: bytes.AddRange(Encoding.UTF8.GetBytes(tokens[id])); break;
            }
            if (first && stripFirstSpace && bytes.Count > start && bytes[start] == (byte)' ') bytes.RemoveAt(start);
            first = false;
        }
        return bytes.ToArray();
    }
}
