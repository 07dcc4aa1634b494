using System.Diagnostics;
using Nethereum.Web3;
using OpmlNode.Chain;

using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Chain;

/// <summary>The anvil process wrapper: answers RPC, leaves no process behind, fails loudly.</summary>
public class AnvilTests
{
    private static string ContractsDir => Repo.Path("contracts");

    [Fact]
    public async Task StartsAnswersAndIsGoneAfterDispose()
    {
        int pid;
        using (var anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = ContractsDir }))
        {
            pid = anvil.ProcessId;
            Assert.StartsWith("http://127.0.0.1:", anvil.RpcUrl);
            var chainId = await new Web3(anvil.RpcUrl).Eth.ChainId.SendRequestAsync();
            Assert.Equal(Anvil.DefaultChainId, (long)chainId.Value);
        }
        Assert.False(IsAlive(pid), $"anvil pid {pid} still running after Dispose");
    }

    [Fact]
    public async Task EarlyExitReportsAnvilsOutput()
    {
        var e = await Assert.ThrowsAsync<AnvilException>(() =>
            Anvil.StartAsync(new AnvilOptions { ContractsDir = ContractsDir, ExtraArgs = ["--no-such-flag"] }));
        Assert.Contains("exited with code", e.Message);
        Assert.Contains("no-such-flag", e.Message);
    }

    [Fact]
    public void MissingBinaryNamesTheFix()
    {
        var e = Assert.Throws<AnvilException>(() => Anvil.FindBinary(Path.Combine(Path.GetTempPath(), "no-contracts-here")));
        Assert.Contains("npm ci", e.Message);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
