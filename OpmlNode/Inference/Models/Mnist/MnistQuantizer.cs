namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// Turns a trained <see cref="FloatMlp"/> into the integer graph of OPS §6's MLP sketch (architecture
/// <c>mlp/mnist</c>): per hidden layer one MatMul with int8 weights (per output channel: s_w[n] = max|W[n,:]| / 127),
/// int32 bias and per-channel requantisation (M_n, s_n) to an int8 activation whose clamp qmin = 0 is the ReLU; the
/// last layer has one weight scale for all classes and I32 logits (so they compare), then Argmax (the output node,
/// I32 [1]). Activation scales are calibrated on the training digits.
/// </summary>
public static class MnistQuantizer
{
    public const string Architecture = "mlp/mnist";

    /// <summary>Default tiling budget: the 784→128 layer becomes two MatMul tiles of 64 outputs joined by a Concat.</summary>
    public const long DefaultMaxNodeSteps = 1 << 18;

    /// <summary>Fraction of a hidden layer's (positive) training activations the int8 range covers; the rest saturate at 127.</summary>
    public const double CalibrationQuantile = 0.9999;

    /// <summary>The real value of one unit of the task input (q + 128 = pixel, real input = pixel / 255).</summary>
    public const double InputScale = 1.0 / 255;

    public static ModelDefinition Quantize(FloatMlp net, IReadOnlyList<MnistSample> calibration, long maxNodeSteps = DefaultMaxNodeSteps, string architecture = Architecture)
    {
        var actScales = CalibrateScales(net, calibration);
        var b = new GraphBuilder(maxNodeSteps);
        var x = InputRef.TaskInput(new TensorSpec(ElemType.I8, 1, MnistImage.Pixels));
        double inScale = InputScale;
        int zeroPoint = MnistImage.InputZeroPoint; // only the task input has one; ReLU activations are ≥ 0 with zero point 0
        for (int l = 0; l < net.Layers; l++)
        {
            int k = net.Sizes[l], n = net.Sizes[l + 1];
            bool last = l == net.Layers - 1;
            var w = net.W[l];
            var wScale = new double[n];
            if (last)
            {
                double all = MaxAbs(w, 0, w.Length) / 127;
                Array.Fill(wScale, all > 0 ? all : 1);
            }
            else
                for (int j = 0; j < n; j++) { double s = MaxAbs(w, j * k, k) / 127; wScale[j] = s > 0 ? s : 1; }

            var wq = new int[n * k];
            var bias = new int[n];
            for (int j = 0; j < n; j++)
            {
                long rowSum = 0;
                for (int i = 0; i < k; i++)
                {
                    int q = (int)Math.Clamp(Math.Round(w[j * k + i] / wScale[j], MidpointRounding.AwayFromZero), -127, 127);
                    wq[j * k + i] = q;
                    rowSum += q;
                }
                // acc = Σ Wq·q_in + bias must equal Σ Wq·(q_in − zp) + b/(s_in·s_w): fold −zp·ΣWq into the bias.
                long bq = (long)Math.Round(net.B[l][j] / (inScale * wScale[j]), MidpointRounding.AwayFromZero) - zeroPoint * rowSum;
                bias[j] = (int)Math.Clamp(bq, int.MinValue, int.MaxValue);
            }
            var W = b.AddWeight(QTensor.I8([n, k], wq));
            var B = b.AddWeight(QTensor.I32([n], bias));
            int node;
            if (last) node = b.MatMul(x, W, B, ElemType.I32, default, 0, 0);
            else
            {
                double outScale = actScales[l];
                var pc = new int[2 * n];
                for (int j = 0; j < n; j++) (pc[2 * j], pc[2 * j + 1]) = ModelSynth.Multiplier(inScale * wScale[j] / outScale);
                var PC = b.AddWeight(QTensor.I32([n, 2], pc));
                node = b.MatMul(x, W, B, ElemType.I8, default, 0, 127, perChannel: PC); // qmin = 0: the ReLU
                inScale = outScale;
                zeroPoint = 0;
            }
            x = b.Node(node);
        }
        int arg = b.Add(new TensorSpec(ElemType.I32, 1), [x], new Ops.ArgmaxParams());
        return b.Build(architecture, arg, MnistImage.Pixels, 1);
    }

    /// <summary>Per hidden layer: the real value of one int8 unit, from the <see cref="CalibrationQuantile"/> of its positive activations.</summary>
    public static double[] CalibrateScales(FloatMlp net, IReadOnlyList<MnistSample> calibration)
    {
        var values = Enumerable.Range(0, net.Layers - 1).Select(_ => new List<float>()).ToArray();
        var act = net.NewActivations();
        foreach (var s in calibration)
        {
            FloatMlp.Input(s.Pixels, act[0]);
            net.Forward(act);
            for (int l = 0; l < values.Length; l++)
                foreach (var v in act[l + 1]) if (v > 0) values[l].Add(v);
        }
        return values.Select(v =>
        {
            if (v.Count == 0) return 1.0;
            v.Sort();
            return v[(int)Math.Min(v.Count - 1, Math.Floor(CalibrationQuantile * v.Count))] / 127.0;
        }).ToArray();
    }

    private static double MaxAbs(float[] w, int start, int count)
    {
        double m = 0;
        for (int i = start; i < start + count; i++) m = Math.Max(m, Math.Abs(w[i]));
        return m;
    }
}
