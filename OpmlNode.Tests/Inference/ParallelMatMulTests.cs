using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Merkle;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>Large MatMul rows are split over cores; the integer result must not depend on the split.</summary>
public class ParallelMatMulTests
{
    [Theory]
    [InlineData(1, 1030, 4096)]  // columns not a multiple of the chunk size
    [InlineData(3, 4096, 300)]
    public void SplitOverCoresGivesTheSameBytesAsOneThreadAndTheOracle(int m, int n, int k)
    {
        var r = new Random(n + k);
        var a = Rand(r, S(ElemType.I8, m, k));
        var w = Rand(r, S(ElemType.I8, n + 5, k));
        var bias = Rand(r, S(ElemType.I32, n + 5), 0.3);
        var d = new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, m, n), [N(0, a.Spec), W(0, w.Spec), W(1, bias.Spec)], [1 << 30, 40, -128, 127, 3, 1]);
        var roots = new IOpBackend[] { ScalarBackend.Instance, new CpuBackend(maxThreads: 1), new CpuBackend(maxThreads: 2), new CpuBackend(maxThreads: 7) }
            .Select(b => MerkleMath.TensorRoot(b.Run(d, a, w, bias).Data)).ToArray();
        Assert.All(roots, x => Assert.Equal(roots[0], x));
    }
}
