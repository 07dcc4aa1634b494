using System.Diagnostics;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// Starts anvil and deploys RiscvStep once per test class. Runs <c>npx forge build</c> first whenever forge is installed
/// (forge's content-hash cache makes an up-to-date build a ~2 s no-op, and file times cannot tell whether the artifact
/// is current); without forge an existing artifact is used as is. Anything missing — node_modules, the artifact,
/// anvil — fails the tests with the command to run; nothing is skipped.
/// </summary>
public sealed class AnvilFixture : IAsyncLifetime
{
    public const string DeployerKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    public string RepoRoot => Repo.Root;
    public string ContractsDir => Path.Combine(RepoRoot, "contracts");
    public Anvil Anvil { get; private set; } = null!;
    public Web3 Web3 { get; private set; } = null!;
    public RiscvStepService RiscvStep { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        EnsureContractsBuilt(ContractsDir);
        var bytecode = ContractArtifacts.LoadBytecode(ContractsDir);
        Anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = ContractsDir, ExtraArgs = ["--state", StateFile] });
        try
        {
            Web3 = new Web3(new Account(DeployerKey, Anvil.ChainId), Anvil.RpcUrl);
            RiscvStep = await RiscvStepService.DeployAsync(Web3, bytecode);
        }
        catch
        {
            Anvil.Dispose();
            throw;
        }
    }

    /// <summary>Where anvil writes its state when it stops gracefully (and reads it back when started again).</summary>
    public string StateFile { get; } = Path.Combine(Path.GetTempPath(), $"opml-anvil-state-{Guid.NewGuid():N}.json");

    /// <summary>Stops anvil gracefully, waits <paramref name="down"/>, and starts it again at the same URL: on its saved
    /// state (blocks and hashes kept), or <paramref name="fresh"/> — a new chain with another genesis.</summary>
    public async Task RestartAsync(TimeSpan down, bool fresh)
    {
        Anvil.Stop(TimeSpan.FromSeconds(30));
        Anvil.Dispose();
        await Task.Delay(down);
        if (fresh) File.Delete(StateFile);
        else Assert.True(File.Exists(StateFile), "anvil wrote no state file");
        Anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = ContractsDir, Port = Anvil.Port, ExtraArgs = ["--state", StateFile] });
        if (!fresh) return;
        // A new chain: a new Web3 so that no nonce or chain state of the old one is carried over.
        Web3 = new Web3(new Account(DeployerKey, Anvil.ChainId), Anvil.RpcUrl);
        RiscvStep = await RiscvStepService.DeployAsync(Web3, ContractArtifacts.LoadBytecode(ContractsDir)).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync()
    {
        Anvil?.Dispose();
        File.Delete(StateFile);
        return Task.CompletedTask;
    }

    private static void EnsureContractsBuilt(string contractsDir)
    {
        var artifact = ContractArtifacts.ArtifactPath(contractsDir, ContractArtifacts.RiscvStep);
        var forge = Path.Combine(contractsDir, "node_modules", ".bin", "forge");
        if (!File.Exists(forge))
        {
            if (File.Exists(artifact)) return;
            throw new InvalidOperationException(
                $"{artifact} is missing and forge is not installed: run `cd {contractsDir} && npm ci && npx forge build`");
        }
        var psi = new ProcessStartInfo("npx") { WorkingDirectory = contractsDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("forge");
        psi.ArgumentList.Add("build");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start npx");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"`npx forge build` in {contractsDir} took over 5 minutes");
        }
        if (p.ExitCode != 0 || !File.Exists(artifact))
            throw new InvalidOperationException(
                $"`npx forge build` in {contractsDir} failed (exit {p.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }
}
