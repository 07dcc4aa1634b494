namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// A float MLP (the training-time model): dense layers y = W·x + b, W row-major [out, in] (the MatMul weight layout,
/// OPS §5.1), ReLU after every layer but the last, softmax cross-entropy on the logits.
/// </summary>
public sealed class FloatMlp
{
    public FloatMlp(int[] sizes, MnistRandom rng)
    {
        if (sizes.Length < 2 || sizes.Any(s => s <= 0)) throw new ArgumentException("an MLP needs at least an input and an output size, all positive");
        Sizes = sizes;
        W = new float[sizes.Length - 1][];
        B = new float[sizes.Length - 1][];
        for (int l = 0; l < W.Length; l++)
        {
            int k = sizes[l], n = sizes[l + 1];
            // He-uniform for ReLU layers, Glorot-uniform for the logits.
            double a = l < W.Length - 1 ? Math.Sqrt(6.0 / k) : Math.Sqrt(6.0 / (k + n));
            W[l] = new float[n * k];
            for (int i = 0; i < W[l].Length; i++) W[l][i] = (float)((2 * rng.NextDouble() - 1) * a);
            B[l] = new float[n];
        }
    }

    /// <summary>Layer widths, input first (e.g. 784, 128, 64, 10).</summary>
    public int[] Sizes { get; }
    public int Layers => W.Length;
    public float[][] W { get; }
    public float[][] B { get; }

    /// <summary>Activations per layer: [0] = the input, [l + 1] = layer l's output (ReLU'd except the last: the logits).</summary>
    public float[][] NewActivations() => Sizes.Select(s => new float[s]).ToArray();

    public void Forward(float[][] act)
    {
        for (int l = 0; l < Layers; l++)
        {
            int k = Sizes[l], n = Sizes[l + 1];
            var x = act[l];
            var y = act[l + 1];
            for (int j = 0; j < n; j++)
            {
                float v = FloatMath.Dot(W[l].AsSpan(j * k, k), x) + B[l][j];
                y[j] = l < Layers - 1 && v < 0 ? 0 : v;
            }
        }
    }

    /// <summary>The class of a forward pass: the lowest index of the largest logit (OPS §5.11's rule).</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>The input of a 28×28 image: pixel / 255 (the real value of task input q is (q + 128) / 255).</summary>
    public static void Input(ReadOnlySpan<byte> pixels, Span<float> x)
    {
        for (int i = 0; i < pixels.Length; i++) x[i] = pixels[i] * (1f / 255);
    }

    public int Predict(ReadOnlySpan<byte> pixels, float[][] act)
    {
        Input(pixels, act[0]);
        Forward(act);
        return Argmax(act[^1]);
    }

    /// <summary>How many of <paramref name="samples"/> the float model classifies correctly, of how many.</summary>
    public (int Correct, int Total) Accuracy(IReadOnlyList<MnistSample> samples)
    {
        var act = NewActivations();
        return (samples.Count(s => Predict(s.Pixels, act) == s.Label), samples.Count);
    }
}
