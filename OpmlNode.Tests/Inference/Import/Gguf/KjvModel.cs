using System.Buffers.Binary;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>The committed trained model (models/llama-kjv) and the torch reference logits its training tool exported.</summary>
internal static class KjvModel
{
    public static string Gguf(string type) => Repo.Path("models", "llama-kjv", $"llama-kjv-{type}.gguf");

    /// <summary>The held-out text (Revelation) as byte tokens, as tools/llama-train/train.py reads it; committed beside the model.</summary>
    public static byte[] HeldOut() => File.ReadAllBytes(Repo.Path("models", "llama-kjv", "heldout-revelation.txt"));

    /// <summary>reference-logits.bin: "KJVREF01", i32 nSeq, length, vocab, i32 tokens, f32 logits (torch, float32).</summary>
    public static (int[][] Tokens, float[][][] Logits) TorchReference()
    {
        var b = File.ReadAllBytes(Repo.Path("models", "llama-kjv", "reference-logits.bin"));
        Assert.Equal("KJVREF01"u8.ToArray(), b[..8]);
        int nSeq = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(8)), len = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(12)), vocab = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(16));
        int off = 20;
        var tokens = new int[nSeq][];
        for (int s = 0; s < nSeq; s++)
        {
            tokens[s] = new int[len];
            for (int i = 0; i < len; i++, off += 4) tokens[s][i] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(off));
        }
        var logits = new float[nSeq][][];
        for (int s = 0; s < nSeq; s++)
        {
            logits[s] = new float[len][];
            for (int i = 0; i < len; i++)
            {
                logits[s][i] = new float[vocab];
                for (int v = 0; v < vocab; v++, off += 4) logits[s][i][v] = BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(off));
            }
        }
        Assert.Equal(b.Length, off);
        return (tokens, logits);
    }
}
