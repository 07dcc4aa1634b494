using System.Text.Json;
using OpmlNode.Chain;
using OpmlNode.Cli;
using OpmlNode.Configuration;
using OpmlNode.Tests.Chain;
using OpmlNode.Tests.Inference;

namespace OpmlNode.Tests.Cli;

/// <summary>The chain verbs take their endpoint from the settings (OpmlNode:Chain:RpcUrl) when --rpc is not given.</summary>
[Collection("Console")]
public sealed class ChainVerbDefaultsTests(AnvilFixture chain) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly ModelTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out, string Err) Run(NodeOptions options, params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CommandLine.Invoke(args, options), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public async Task RpcUrlComesFromTheSettingsAndTimeoutNeedsWait()
    {
        var dep = _dir.File("deployment.json");
        (await DeployedContracts.DeployAsync(chain.Web3, chain.ContractsDir, DeployParameters.Devnet)).Save(dep);
        var settings = new NodeOptions { Chain = new NodeOptions.ChainOptions { RpcUrl = chain.Anvil.RpcUrl } };
        var r = Run(settings, "status", "--json", "--deployment", dep);
        Assert.True(r.Code == 0, r.Err);
        using (var doc = JsonDocument.Parse(r.Out))
        {
            Assert.Equal(chain.Anvil.ChainId, doc.RootElement.GetProperty("chainId").GetInt64());
            Assert.Equal(0, doc.RootElement.GetProperty("tasks").GetArrayLength());
        }
        r = Run(new NodeOptions(), "status", "--deployment", dep);
        Assert.Equal(2, r.Code);
        Assert.Contains("no RPC endpoint", r.Err);

        var key = _dir.File("key");
        File.WriteAllText(key, Anvil.DevPrivateKeys[0]);
        r = Run(settings, "request", "--model", "1", "--input", key, "--timeout", "5", "--key-file", key, "--deployment", dep);
        Assert.Equal(2, r.Code);
        Assert.Contains("--timeout applies only with --wait", r.Err);
    }
}
