using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Merkle;

namespace OpmlNode.Tests.Inference;

internal static class T
{
    public static readonly int[] Sizes = [1, 2, 3, 7, 16, 33, 255, 4096];

    public static readonly IOpBackend[] FastBackends =
        [.. Enum.GetValues<SimdLevel>().Select(l => new CpuBackend(l)).DistinctBy(b => b.Level)];

    public static TensorSpec S(ElemType t, params int[] dims) => new(t, dims);

    public static InputRef W(uint i, TensorSpec s) => InputRef.Weight(i, s);

    public static InputRef N(uint k, TensorSpec s, uint lag = 0) => InputRef.Node(k, lag, s);

    /// <summary>Random tensor; with probability <paramref name="extreme"/> an element is the type's min or max.</summary>
    public static QTensor Rand(Random r, TensorSpec s, double extreme = 0.2, int? lo = null, int? hi = null)
    {
        var v = new int[s.ElementCount];
        long min = lo ?? s.Type.Min(), max = hi ?? s.Type.Max();
        for (int i = 0; i < v.Length; i++)
            v[i] = r.NextDouble() < extreme ? (r.Next(2) == 0 ? (int)min : (int)max) : (int)r.NextInt64(min, max + 1);
        return QTensor.FromInts(s.Type, [.. s.Dims], v);
    }

    public static QTensor Const(TensorSpec s, int value) => QTensor.FromInts(s.Type, [.. s.Dims], Enumerable.Repeat(value, s.ElementCount).ToArray());

    /// <summary>Runs the oracle and every fast backend level, asserts equal tensor roots, returns the oracle output.</summary>
    public static QTensor AssertAllAgree(NodeDescriptor d, params QTensor[] inputs)
    {
        // Round-trip the descriptor through its bytes first: backends see exactly what the guest would.
        var dd = NodeDescriptor.Decode(d.Encode());
        var expected = ScalarBackend.Instance.Run(dd, inputs);
        var root = MerkleMath.TensorRoot(expected.Data);
        foreach (var b in FastBackends)
        {
            var got = b.Run(dd, inputs);
            if (MerkleMath.TensorRoot(got.Data) != root)
            {
                int first = Enumerable.Range(0, expected.Data.Length).First(i => expected.Data[i] != got.Data[i]);
                Assert.Fail($"{b.Name} differs from scalar for {dd}: first differing byte {first} ({got.Data[first]} vs {expected.Data[first]})");
            }
        }
        return expected;
    }

    /// <summary>An exp table: round(2^15 · exp(−d/4)) — built with float here, as a converter would.</summary>
    public static QTensor ExpLut(double unitsPerE = 4)
    {
        var v = new int[256];
        for (int d = 0; d < 256; d++) v[d] = (int)Math.Round(32768 * Math.Exp(-d / unitsPerE));
        return QTensor.I32([256], v);
    }
}
