using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>models/llama-spm: a tiny untrained LLaMA with a SentencePiece BPE vocabulary (tools/llama-spm/make_spm.py).</summary>
internal static class SpmModel
{
    public static string Gguf => Repo.Path("models", "llama-spm", "llama-spm-f32.gguf");

    private static readonly Lazy<GgufSpmVocab> Lazy = new(() =>
    {
        using var f = GgufFile.Open(Gguf);
        return Assert.IsType<GgufSpmVocab>(ModelVocabFile.FromGguf(f, GgufLlamaConfig.From(f), "llama-spm-f32.gguf").Vocab());
    });

    public static GgufSpmVocab Vocab => Lazy.Value;

    /// <summary>
    /// Seeded test strings: held-out KJV lines (Revelation), random cuts of them (leading/trailing spaces), held-out
    /// words mixed with characters the vocabulary lacks (byte fallback), runs of spaces and newlines, tokens' spellings.
    /// </summary>
    public static List<string> Strings(int seed = 7)
    {
        var held = File.ReadAllText(Repo.Path("models", "llama-kjv", "heldout-revelation.txt"));
        var lines = held.Split('\n').Where(l => l.Trim().Length > 0).ToArray();
        var rng = new Random(seed);
        var list = new List<string> { "", " ", "  ", "   ", "\n", "\n\n", "\t", " \n ", "a", " a", "a ", "In  the   beginning", "  God", "God  ", "\nAnd", "And\n", "line one\nline two\n\nthree",
            "<s>", "</s>", "<unk>", "<0x41>", "▁", "▁the", "0123456789", "1:1 2:22", "Grüße, 日本語, Ωμέγα, 🙂🙏, ﬁ, é vs é" };
        list.AddRange(lines.Take(150));
        for (int i = 0; i < 120; i++)
        {
            int a = rng.Next(held.Length), len = rng.Next(1, 80);
            list.Add(held.Substring(a, Math.Min(len, held.Length - a)));
        }
        string[] foreign = ["é", "ß", "日", "本", "🙂", "Ω", "ж", "\u0301", "€", "\u00a0", "ﬁ", "\u200b", "�", "\u2581"];
        for (int i = 0; i < 60; i++)
        {
            var words = lines[rng.Next(lines.Length)].Split(' ');
            for (int k = rng.Next(1, 4); k > 0; k--)
            {
                int w = rng.Next(words.Length);
                words[w] = words[w].Insert(rng.Next(words[w].Length + 1), foreign[rng.Next(foreign.Length)]);
            }
            list.Add(string.Join(new string(' ', rng.Next(1, 4)), words));
        }
        return list;
    }
}
