using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// Finer int8 steps without new ops, by exact import-time folding: channel scales on a LayerNorm output (SmoothQuant)
/// go into the Norm's gamma and beta and the reading MatMuls' weight columns; offsets (zero points) on MatMul → Lut →
/// MatMul edges go into the MatMul bias and the Lut table. Readers that cannot fold them get a symmetric copy.
/// </summary>
public sealed partial class OnnxImporter
{
    /// <summary>Smoothing applies where the largest channel magnitude is at least this many times the median one.</summary>
    private const double SmoothingMinSpread = 3;

    /// <summary>w(n, k) of a MatMul / Gemm (without alpha) whose activation input is <paramref name="value"/> and whose weight is a constant matrix, or null.</summary>
    private (int K, int N, Func<int, int, float> W)? LinearWeight(OnnxNode u, string value)
    {
        if (u.Inputs.Count < 2 || u.Inputs[0] != value || u.Inputs[1] == value || ConstOf(u.Inputs[1]) is not { Rank: 2 } t) return null;
        var f = t.AsFloats();
        int r = t.Shape[0], c = t.Shape[1];
        return u.OpType switch
        {
            "MatMul" => (r, c, (n, k) => f[k * c + n]),
            "Gemm" when u.Int("transA", 0) == 0 => u.Int("transB", 0) != 0 ? (c, r, (n, k) => f[n * c + k]) : (r, c, (n, k) => f[k * c + n]),
            _ => null,
        };
    }

    /// <summary>The residual Add / Sub that reads a LayerNorm output's I16 twin (see <see cref="Norm"/>).</summary>
    private bool ReadsWideTwin(OnnxNode u) =>
        u.OpType is "Add" or "Sub" && u.Inputs.Count == 2 && u.Inputs[0] != u.Inputs[1] && u.Inputs.All(i => ConstOf(i) is null) && FeedsNormOnly(u.Outputs[0]);

    /// <summary>
    /// True if every reader of <paramref name="value"/> folds an offset: a MatMul / Gemm by a constant weight (bias) or
    /// an elementwise node computed from this value and scalar constants alone (a Lut table).
    /// </summary>
    private bool TakesOffset(string value)
    {
        if (!_o.OffsetActivations || value == _output || Consumers(value).Count == 0) return false;
        var chain = new HashSet<string> { value };
        foreach (var c in _m.Nodes.Where(c => _live.Contains(c.Index) && !_done.Contains(c.Index) && IsElementwise(c)))
            if (c.Inputs.All(i => i.Length == 0 || chain.Contains(i) || ConstOf(i) is { Count: 1 }) && c.Inputs.Any(chain.Contains))
                chain.UnionWith(c.Outputs);
        return Consumers(value).All(u => LinearWeight(u, value) is not null || (IsElementwise(u) && u.Outputs.All(chain.Contains)));
    }

    /// <summary>(scale, offset) mapping the calibrated [min, max] of a value onto the 256 int8 codes.</summary>
    private (double Scale, double Offset) OffsetScale(string value)
    {
        var (lo, hi) = _cal.Range(value);
        return OffsetScale(lo, hi);
    }

    /// <summary>(scale, offset) of a channel group with range [lo, hi]: offset unless <see cref="OnnxImportOptions.OffsetActivations"/> is off.</summary>
    private (double Scale, double Offset) GroupScale(double lo, double hi) =>
        _o.OffsetActivations ? OffsetScale(lo, hi) : (Math.Max(Math.Max(Math.Abs(lo), Math.Abs(hi)) * _o.ClipFraction, 1e-6) / 127, 0);

    private (double Scale, double Offset) OffsetScale(double lo, double hi)
    {
        double half = (hi - lo) / 2 * _o.ClipFraction;
        return ((half > 1e-20 ? half : 1e-6) / 127.5, (hi + lo) / 2);
    }

    /// <summary>
    /// Channel groups (ONNX channel indices, the widest range first) for a MatMul output read only by one Lut chain
    /// whose result only MatMuls read: each group gets its own MatMul node, int8 scale, offset and Lut, and the
    /// reading MatMuls fold the permutation and the group scales into their weights. The groups split the channels
    /// sorted by calibrated magnitude where Σ_g n_g·range_g² (the rounding noise) is least; null for one group or
    /// without outlier channels (<see cref="SmoothingMinSpread"/>).
    /// </summary>
    private int[][]? ChannelGroups(string value, int n)
    {
        if (_o.ChannelGroups < 2 || !FeedsLutThenMatMul(value) || _cal.ChannelRange(value) is not { } r || r.Min.Count != n) return null;
        var mag = _cal.ChannelAbsMax(value)!;
        if (mag.Max() < SmoothingMinSpread * mag.Order().ElementAt(n / 2)) return null;
        var order = Enumerable.Range(0, n).OrderByDescending(c => mag[c]).ToArray();
        // cost[i, j]: channels order[i..j) as one group.
        double Cost(int i, int j)
        {
            double lo = double.MaxValue, hi = double.MinValue;
            for (int t = i; t < j; t++) (lo, hi) = (Math.Min(lo, r.Min[order[t]]), Math.Max(hi, r.Max[order[t]]));
            return (j - i) * (hi - lo) * (hi - lo);
        }
        // best[g][j]: least cost of order[0..j) in g + 1 groups, from[g][j] where its last group starts.
        int gmax = Math.Min(_o.ChannelGroups, n);
        var best = new double[gmax][];
        var from = new int[gmax][];
        best[0] = Enumerable.Range(0, n + 1).Select(j => Cost(0, j)).ToArray();
        from[0] = new int[n + 1];
        for (int g = 1; g < gmax; g++)
        {
            best[g] = new double[n + 1];
            from[g] = new int[n + 1];
            for (int j = g + 1; j <= n; j++)
            {
                (best[g][j], from[g][j]) = (double.MaxValue, j - 1);
                double lo = double.MaxValue, hi = double.MinValue;
                for (int i = j - 1; i >= g; i--) // the last group order[i..j), grown leftwards
                {
                    (lo, hi) = (Math.Min(lo, r.Min[order[i]]), Math.Max(hi, r.Max[order[i]]));
                    double c = best[g - 1][i] + (j - i) * (hi - lo) * (hi - lo);
                    if (c < best[g][j]) (best[g][j], from[g][j]) = (c, i);
                }
            }
        }
        int gb = Enumerable.Range(0, gmax).MinBy(g => best[g][n]);
        if (gb == 0) return null;
        var groups = new List<int[]>();
        for (int g = gb, j = n; g >= 0; j = from[g][j], g--)
            groups.Insert(0, order[(g == 0 ? 0 : from[g][j])..j]);
        return groups.ToArray();
    }

    /// <summary>True if every reader of the value is the one Lut chain on it and every reader of the chain's result a MatMul by a constant weight.</summary>
    private bool FeedsLutThenMatMul(string value)
    {
        var users = Consumers(value);
        if (value == _output || users.Count == 0 || !IsElementwise(users[0]) || !users[0].Inputs.All(i => i.Length == 0 || i == value || ConstOf(i) is { Count: 1 })) return false;
        var (region, output) = ElementwiseChain(users[0], value);
        return users.All(region.Contains) && output != _output && Consumers(output).Count > 0 && Consumers(output).All(u => LinearWeight(u, output) is not null);
    }

    /// <summary>
    /// SmoothQuant divisors s_k = max|X_k|^α / max|W_k|^(1−α) for a LayerNorm output of D channels (W_k: column k of
    /// every reading MatMul), or null unless every reader but the residual Add (which reads the unscaled I16 twin)
    /// folds them into its weights.
    /// </summary>
    private double[]? SmoothingOf(string value, int d)
    {
        if (_o.SmoothingAlpha is not { } alpha || value == _output || _cal.ChannelAbsMax(value) is not { } xm || xm.Count != d) return null;
        // Without outlier channels smoothing only spends the headroom most channels had under the one max-abs scale
        // (held-out inputs then saturate: PyTorch encoder, max/median ≈ 1.5; MiniLM's LayerNorms are at 4 to 20).
        if (xm.Max() < SmoothingMinSpread * xm.Order().ElementAt(d / 2)) return null;
        var readers = Consumers(value).Where(u => !ReadsWideTwin(u)).ToList();
        if (readers.Count == 0) return null;
        var wm = new double[d];
        foreach (var u in readers)
        {
            if (LinearWeight(u, value) is not { } lw || lw.K != d) return null;
            for (int k = 0; k < d; k++)
                for (int n = 0; n < lw.N; n++) wm[k] = Math.Max(wm[k], Math.Abs(lw.W(n, k)));
        }
        return Enumerable.Range(0, d).Select(k => xm[k] > 0 && wm[k] > 0 ? Math.Pow(xm[k], alpha) / Math.Pow(wm[k], 1 - alpha) : 1).ToArray();
    }

    /// <summary>Int8 scale of a value divided channel-wise by <paramref name="s"/> (its largest |X_k| / s_k ↔ 127).</summary>
    private double SmoothedScale(string value, double[] s)
    {
        var xm = _cal.ChannelAbsMax(value)!;
        double m = Enumerable.Range(0, s.Length).Max(k => xm[k] / s[k]) * _o.ClipFraction;
        return (m > 1e-20 ? m : 1e-6) / 127;
    }

    /// <summary>
    /// The activation as q · Scale: an offset one is re-centred by a Lut (once per value). Channel scales, offsets and
    /// permutations only arise where every reader folds them (<see cref="SmoothingOf"/>, <see cref="ChannelGroups"/>),
    /// so meeting one here is a lowering bug.
    /// </summary>
    private ActVal Symmetric(ActVal a, string name)
    {
        if (a.Channel is not null || a.Offsets is not null || a.Perm is not null) throw new InvalidOperationException($"internal: channel-scaled '{name}' reached a reader that cannot fold it");
        if (a.Offset == 0) return a;
        if (_v.TryGetValue("\0sym:" + name, out var done)) return (ActVal)done;
        double so = Scale(name);
        var table = _b.AddWeight(OnnxQuant.I8Tensor([256], Enumerable.Range(0, 256).Select(i => ((i - 128) * a.Scale + a.Offset) / so).ToArray()));
        var r = a with { Ref = _b.Node(_b.Add(a.Ref.Spec, [a.Ref, table], new LutParams())), Scale = so, Offset = 0 };
        _v["\0sym:" + name] = r;
        return r;
    }
}
