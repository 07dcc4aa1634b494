using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>The SentencePiece vocabulary of models/llama-spm: our tokens and text against llama.cpp's (LLamaSharp).</summary>
public sealed class SpmTokenizerTests(ITestOutputHelper output)
{
    private static readonly Lazy<LlamaCpp> Llama = new(() => new LlamaCpp(SpmModel.Gguf, context: 128));

    [Fact]
    public void Encode_is_llama_cpp_tokenize_on_seeded_strings()
    {
        var strings = SpmModel.Strings();
        var vocab = SpmModel.Vocab;
        int compared = 0;
        var mismatches = new List<string>();
        foreach (var s in strings)
            foreach (var bos in new[] { true, false })
            {
                var ours = vocab.Encode(s, bos);
                var theirs = Llama.Value.Tokenize(s, bos);
                compared++;
                if (!ours.SequenceEqual(theirs)) mismatches.Add($"\"{s}\" (bos {bos}): ours [{string.Join(",", ours)}], llama.cpp [{string.Join(",", theirs)}]");
            }
        output.WriteLine($"{compared} tokenizations compared ({strings.Count} strings × add_bos on/off), {mismatches.Count} differ");
        foreach (var m in mismatches.Take(10)) output.WriteLine(m);
        Assert.True(strings.Count >= 300, $"{strings.Count} strings");
        Assert.Empty(mismatches);
        Assert.Equal(Llama.Value.Tokenize("In the beginning", true), vocab.Encode("In the beginning")); // the file's add_bos
    }

    [Fact]
    public void Decode_is_llama_cpp_detokenize()
    {
        var vocab = SpmModel.Vocab;
        foreach (var s in SpmModel.Strings())
            foreach (var bos in new[] { true, false })
            {
                var ids = vocab.Encode(s, bos);
                Assert.Equal(Encoding.UTF8.GetString(Llama.Value.Detokenize(ids)), vocab.Decode(ids));
                if (!bos && s.Length > 0 && s[0] != ' ' && !s.Contains('\u2581')) Assert.Equal(s, vocab.Decode(ids)); // the round trip is exact here
            }
        // Every token alone (control and unknown give nothing), and seeded id runs, with and without the leading space.
        var rng = new Random(3);
        var runs = Enumerable.Range(0, 512).Select(i => new[] { i }).Concat(Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, rng.Next(1, 12)).Select(_ => rng.Next(512)).ToArray()));
        foreach (var ids in runs)
        {
            Assert.Equal(Encoding.UTF8.GetString(Llama.Value.Detokenize(ids)), vocab.Decode(ids));
            Assert.Equal(Encoding.UTF8.GetString(Llama.Value.Pieces(ids)), vocab.DecodePieces(ids));
        }
    }

    [Fact]
    public void Merges_and_byte_fallback_are_what_python3_sentencepiece_gives()
    {
        // spm.SentencePieceProcessor(model_file="models/llama-spm/llama-spm.model").encode(...) (sentencepiece 0.1.97).
        var vocab = SpmModel.Vocab;
        Assert.Equal([302, 301, 313, 464, 262, 298, 449, 464, 265, 297, 396, 270, 262, 298, 449, 464, 448, 357, 259], vocab.Encode("And I saw a new heaven and a new earth", false));
        var emoji = vocab.Encode("🙂", false); // ▁ and the 4 UTF-8 bytes of U+1F642 as <0xXX> tokens
        Assert.Equal([448, 243, 162, 156, 133], emoji);
        Assert.Equal("🙂", vocab.Decode(emoji));
        Assert.Equal([1], vocab.Encode("")); // add_bos: BOS alone
    }

    /// <summary>
    /// Why the encoder is not Microsoft.ML.Tokenizers: its SentencePiece BPE, given the vocabulary's own .model file
    /// (what python3-sentencepiece trained), merges the rightmost of equal-score pairs first where llama.cpp (and
    /// sentencepiece) take the leftmost. It differs exactly on texts with a run of 3+ equal characters ("▁▁▁").
    /// </summary>
    [Fact]
    public void Microsoft_ML_Tokenizers_differs_from_llama_cpp_on_runs_of_equal_pairs()
    {
        using var model = File.OpenRead(Repo.Path("models", "llama-spm", "llama-spm.model"));
        var ml = LlamaTokenizer.Create(model, addBeginOfSentence: false, addEndOfSentence: false);
        var strings = SpmModel.Strings();
        var differ = strings.Where(s => s.Length > 0 && !ml.EncodeToIds(s, false, false).SequenceEqual(Llama.Value.Tokenize(s, false))).ToList();
        output.WriteLine($"Microsoft.ML.Tokenizers {typeof(LlamaTokenizer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}: {differ.Count} of {strings.Count} strings tokenized differently from llama.cpp");
        Assert.NotEmpty(differ);
        Assert.All(differ, s => Assert.Matches(new Regex(@"(.)\1\1"), " " + s));
        // Six spaces and the prefix: seven ▁. llama.cpp (and python3-sentencepiece): ▁▁ ▁▁ ▁▁▁; the library: ▁▁▁ ▁▁ ▁▁.
        Assert.Equal([273, 273, 274], Llama.Value.Tokenize("      ", false));
        Assert.Equal([274, 273, 273], ml.EncodeToIds("      ", false, false));
    }
}
