using Microsoft.ML.Tokenizers;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// Sentence embeddings from an imported BERT-style encoder, as sentence-transformers computes them: WordPiece ids
/// ([CLS] … [SEP], at most L), the committed graph gives the int8 last hidden state [L, D]; outside the graph it is
/// dequantised, mean-pooled over the real tokens and L2-normalised.
/// </summary>
public sealed class TextEmbedder
{
    private readonly BertTokenizer _tok;

    public TextEmbedder(string vocabPath, int maxSequence)
    {
        _tok = BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = true });
        MaxSequence = maxSequence;
    }

    public int MaxSequence { get; }

    /// <summary>WordPiece ids with [CLS] and [SEP], truncated to L tokens (the last kept one is [SEP]).</summary>
    public int[] Tokenize(string text)
    {
        var ids = _tok.EncodeToIds(text, addSpecialTokens: true).ToArray();
        if (ids.Length > MaxSequence) ids = [.. ids[..(MaxSequence - 1)], ids[^1]];
        return ids;
    }

    /// <summary>The task input: I32 [L] ids, pad 0.</summary>
    public byte[] TaskInput(IReadOnlyList<int> ids) => ModelSynth.IdsInput(ids);

    /// <summary>Runs the model and pools: the normalised embedding and the graph run (roots for the record).</summary>
    public (float[] Embedding, GraphRun Run) Embed(IModel model, IOpBackend backend, OnnxImportInfo info, string text)
    {
        var ids = Tokenize(text);
        var run = new GraphRunner(model, backend).Run(TaskInput(ids), 1);
        return (Pool(info.Dequantise(run.Output), ids.Length, info.OutputShape[^1]), run);
    }

    /// <summary>Mean over the first n rows of a [L, D] hidden state, then L2 normalisation.</summary>
    public static float[] Pool(float[] hidden, int n, int d)
    {
        var e = new double[d];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < d; i++) e[i] += hidden[r * d + i];
        double norm = Math.Sqrt(e.Sum(v => v * v));
        return e.Select(v => (float)(v / Math.Max(norm, 1e-12))).ToArray();
    }

    public static double Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Count; i++) { ab += a[i] * (double)b[i]; aa += a[i] * (double)a[i]; bb += b[i] * (double)b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }
}
