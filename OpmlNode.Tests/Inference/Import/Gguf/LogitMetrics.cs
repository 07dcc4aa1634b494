namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>Agreement of two sets of logits over positions: cosine, top-1 agreement, max abs difference; NLL of targets.</summary>
internal static class LogitMetrics
{
    public static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    public static int Argmax(float[] a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    public static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>−log softmax(logits)[target] in nats.</summary>
    public static double Nll(float[] logits, int target)
    {
        double m = logits.Max(), z = 0;
        foreach (var v in logits) z += Math.Exp(v - m);
        return m + Math.Log(z) - logits[target];
    }
}
