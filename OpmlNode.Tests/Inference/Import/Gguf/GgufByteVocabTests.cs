using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference.Import.Gguf;

public sealed class GgufByteVocabTests
{
    private static readonly string[] Tokens = [.. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), "<unk>", "<s>", "</s>", "\u2581the"];
    private static readonly int[] Types = [.. Enumerable.Repeat(6, 256), 2, 3, 3, 1];

    [Fact]
    public void Utf8_bytes_round_trip_through_byte_tokens()
    {
        var v = new GgufByteVocab(Tokens, Types);
        Assert.Equal(new[] { 0x41, 0xC3, 0xA9, 0x0A }, v.Encode("Aé\n"));
        Assert.Equal("Aé\n", v.Decode(v.Encode("Aé\n")));
    }

    [Fact]
    public void Decoding_drops_control_tokens_and_spells_word_pieces()
    {
        var v = new GgufByteVocab(Tokens, Types);
        Assert.Equal("a the", v.Decode([257, 0x61, 259, 258, 999]));
    }

    [Fact]
    public void A_vocabulary_without_all_byte_tokens_is_refused()
    {
        var e = Assert.Throws<InvalidModelException>(() => new GgufByteVocab(Tokens.Where(t => t != "<0x7F>").ToArray()));
        Assert.Equal("GGUF: the vocabulary has no byte token <0x7F> (text needs all 256 byte tokens)", e.Message);
    }
}
