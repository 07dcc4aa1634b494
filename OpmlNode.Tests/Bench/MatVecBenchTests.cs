using OpmlNode.Bench;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Bench;

public class MatVecBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void SmallRunProducesNumbers()
    {
        var r = MatVecBench.Run(64, 256, rounds: 3, secondsPerRound: 0.02);
        output.WriteLine(r.ToString());
        Assert.True(r.Int8Gops > 0 && r.Float32Gops > 0);
        Assert.Contains("GOPS", r.ToString());
    }
}
