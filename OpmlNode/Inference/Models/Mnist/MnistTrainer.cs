namespace OpmlNode.Inference.Models.Mnist;

/// <summary>Training settings; the defaults build the committed models/mnist/mnist.opml.</summary>
public sealed record MnistTrainOptions
{
    public ulong Seed { get; init; } = 1;
    public int Epochs { get; init; } = 60;
    public int BatchSize { get; init; } = 32;
    public float LearningRate { get; init; } = 2e-3f;
    /// <summary>Learning rate multiplier after each epoch.</summary>
    public float LearningRateDecay { get; init; } = 0.95f;
    /// <summary>Each training digit is shifted by up to this many pixels in x and y (seeded), every epoch anew.</summary>
    public int MaxShift { get; init; } = 1;
    public int[] Hidden { get; init; } = [512, 128];
    /// <summary>How each training digit is varied every epoch anew; null: only the ±<see cref="MaxShift"/> shifts.</summary>
    public MnistAugmentOptions? Augment { get; init; } = new();

    /// <summary>The committed models/fashion-mnist/fashion-mnist.opml: 60,000 images need fewer epochs and no variation but a shift.</summary>
    public static MnistTrainOptions Fashion { get; } = new()
    {
        Epochs = 15,
        LearningRate = 1e-3f,
        LearningRateDecay = 0.9f,
        MaxShift = 1,
        Hidden = [256, 128],
        Augment = null,
    };
}

/// <summary>One finished epoch, for progress lines.</summary>
public sealed record MnistEpoch(int Epoch, int Epochs, double Loss, double TrainAccuracy, TimeSpan Elapsed);

/// <summary>
/// Seeded, single-threaded minibatch Adam on softmax cross-entropy. Every float operation runs in a fixed order
/// (<see cref="FloatMath"/>), so the same data, options and seed give the same weights, bit for bit.
/// </summary>
public static class MnistTrainer
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, AdamEps = 1e-8f;

    public static FloatMlp Train(IReadOnlyList<MnistSample> train, MnistTrainOptions o, Action<MnistEpoch>? epochDone = null)
    {
        if (o.Epochs < 1) throw new ArgumentException("epochs must be at least 1");
        if (o.BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        if (o.MaxShift is < 0 or > MnistImage.Border) throw new ArgumentException($"max shift must be 0..{MnistImage.Border}");
        var rng = new MnistRandom(o.Seed);
        var net = new FloatMlp([MnistImage.Pixels, .. o.Hidden, MnistDigits.Classes], rng);
        int L = net.Layers;
        var gW = net.W.Select(w => new float[w.Length]).ToArray();
        var gB = net.B.Select(b => new float[b.Length]).ToArray();
        var mW = net.W.Select(w => new float[w.Length]).ToArray();
        var vW = net.W.Select(w => new float[w.Length]).ToArray();
        var mB = net.B.Select(b => new float[b.Length]).ToArray();
        var vB = net.B.Select(b => new float[b.Length]).ToArray();
        var act = net.NewActivations();
        var delta = net.Sizes.Select(s => new float[s]).ToArray();
        var order = Enumerable.Range(0, train.Count).ToArray();
        var shifted = new byte[MnistImage.Pixels];
        float lr = o.LearningRate;
        double beta1T = 1, beta2T = 1;
        var sw = System.Diagnostics.Stopwatch.StartNew();

        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            double loss = 0;
            int correct = 0;
            for (int start = 0; start < order.Length; start += o.BatchSize)
            {
                int count = Math.Min(o.BatchSize, order.Length - start);
                foreach (var g in gW) Array.Clear(g);
                foreach (var g in gB) Array.Clear(g);
                for (int bi = 0; bi < count; bi++)
                {
                    var s = train[order[start + bi]];
                    if (o.Augment is { } aug) MnistAugment.Apply(s.Pixels, aug, rng, shifted);
                    else
                        Shift(s.Pixels, o.MaxShift == 0 ? 0 : rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift,
                            o.MaxShift == 0 ? 0 : rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift, shifted);
                    FloatMlp.Input(shifted, act[0]);
                    net.Forward(act);
                    var logits = act[L];
                    if (FloatMlp.Argmax(logits) == s.Label) correct++;
                    // softmax − one-hot, in double, with an Exp of fixed bits
                    float max = logits.Max();
                    double z = 0;
                    for (int c = 0; c < logits.Length; c++) z += FloatMath.Exp(logits[c] - max);
                    for (int c = 0; c < logits.Length; c++)
                        delta[L][c] = (float)(FloatMath.Exp(logits[c] - max) / z) - (c == s.Label ? 1 : 0);
                    loss += Math.Log(z) - (logits[s.Label] - max); // progress only; not part of the weights
                    for (int l = L - 1; l >= 0; l--)
                    {
                        int k = net.Sizes[l], n = net.Sizes[l + 1];
                        var d = delta[l + 1];
                        var x = act[l];
                        if (l > 0) Array.Clear(delta[l]);
                        for (int j = 0; j < n; j++)
                        {
                            float dj = d[j];
                            if (dj == 0) continue;
                            gB[l][j] += dj;
                            FloatMath.Axpy(dj, x, gW[l].AsSpan(j * k, k));
                            if (l > 0) FloatMath.Axpy(dj, net.W[l].AsSpan(j * k, k), delta[l]);
                        }
                        if (l > 0)
                            for (int i = 0; i < k; i++) if (x[i] <= 0) delta[l][i] = 0; // ReLU'
                    }
                }
                beta1T *= Beta1;
                beta2T *= Beta2;
                float scale = 1f / count;
                float step = (float)(lr * Math.Sqrt(1 - beta2T) / (1 - beta1T));
                for (int l = 0; l < L; l++)
                {
                    Adam(net.W[l], gW[l], mW[l], vW[l], scale, step);
                    Adam(net.B[l], gB[l], mB[l], vB[l], scale, step);
                }
            }
            epochDone?.Invoke(new MnistEpoch(epoch, o.Epochs, loss / order.Length, (double)correct / order.Length, sw.Elapsed));
            lr *= o.LearningRateDecay;
        }
        return net;
    }

    private static void Adam(float[] p, float[] g, float[] m, float[] v, float scale, float step)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] * scale;
            m[i] = Beta1 * m[i] + (1 - Beta1) * gi;
            v[i] = Beta2 * v[i] + (1 - Beta2) * gi * gi;
            p[i] -= step * m[i] / (MathF.Sqrt(v[i]) + AdamEps);
        }
    }

    /// <summary>The 28×28 image moved by (dx, dy) pixels, black where it moved in from outside.</summary>
    public static void Shift(ReadOnlySpan<byte> src, int dx, int dy, Span<byte> dst)
    {
        const int S = MnistImage.Side;
        dst.Clear();
        for (int y = Math.Max(0, dy); y < Math.Min(S, S + dy); y++)
        {
            int sx0 = Math.Max(0, -dx), dx0 = Math.Max(0, dx), len = S - Math.Abs(dx);
            src.Slice((y - dy) * S + sx0, len).CopyTo(dst.Slice(y * S + dx0, len));
        }
    }
}
