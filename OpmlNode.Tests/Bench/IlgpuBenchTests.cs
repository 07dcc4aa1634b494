using OpmlNode.Bench;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Bench;

public class IlgpuBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void SmallRunProducesNumbers()
    {
        var r = IlgpuBench.Run(64, 256, rounds: 3, secondsPerRound: 0.02);
        output.WriteLine(r.ToString());
        Assert.True(r.CpuMs > 0 && r.IlgpuResidentMs > 0 && r.IlgpuUploadMs > 0);
        Assert.Contains("GOPS", r.ToString());
    }

    /// <summary>The 4096x4096 numbers. Opt-in: set OPML_BENCH=1 (timing on a shared box is noisy).</summary>
    [Fact]
    public void MatVec4096()
    {
        if (Environment.GetEnvironmentVariable("OPML_BENCH") != "1") return;
        var r = IlgpuBench.Run();
        output.WriteLine(r.ToString());
        Console.WriteLine(r.ToString());
    }
}
