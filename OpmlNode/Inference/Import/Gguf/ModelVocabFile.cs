using System.Text.Json;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// The sidecar an import writes beside its model (<c>M.opml</c> → <c>M.vocab.json</c>): the vocabulary (so
/// <c>infer --prompt</c> can turn text into tokens and back) and the real value of one unit of the integer logits.
/// Not part of the model's commitments: the graph sees only token ids.
/// </summary>
public sealed record ModelVocabFile(string Source, double LogitScale, string[] Tokens, int[] TokenTypes)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

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
            return v;
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"{path}: not a vocabulary file ({e.Message})");
        }
    }

    public GgufByteVocab Vocab() => new(Tokens, TokenTypes);
}
