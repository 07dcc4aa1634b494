using System.Buffers.Binary;
using System.Collections.Concurrent;
using LLama.Native;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>The committed trained model (models/llama-kjv) and the torch reference logits its training tool exported.</summary>
internal static class KjvModel
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> Copies = new();
    private static readonly Lazy<string> CopyDir = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("llama-kjv-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return dir;
    });

    /// <summary>
    /// The GGUF of <paramref name="type"/> f32, f16 or q8_0. Only the F32 file is committed; the F16 and Q8_0 copies
    /// are made from it by llama.cpp's own quantizer, once per test run, into a temporary directory.
    /// </summary>
    public static string Gguf(string type) => type switch
    {
        "f32" => Repo.Path("models", "llama-kjv", "llama-kjv-f32.gguf"),
        "f16" or "q8_0" => Copies.GetOrAdd(type, t => new Lazy<string>(() =>
        {
            var dst = Path.Combine(CopyDir.Value, $"llama-kjv-{t}.gguf");
            LlamaCpp.Quantize(Gguf("f32"), dst, t == "f16" ? LLamaFtype.MOSTLY_F16 : LLamaFtype.MOSTLY_Q8_0);
            return dst;
        })).Value,
        _ => throw new ArgumentException($"no {type} copy of the KJV model", nameof(type)),
    };

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
