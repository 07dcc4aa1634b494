using System.CommandLine;
using System.Text.Json;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Configuration;
using OpmlNode.Crypto;
using OpmlNode.Vm;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node chain ...`: on-chain parts of the fraud proof.</summary>
internal static class ChainCommands
{
    public static Command Build(NodeOptions options) => CommandLine.Group("chain", "On-chain verification (contracts/).", VerifyStepCommand(options));

    private static Command VerifyStepCommand(NodeOptions options)
    {
        static string? OrNull(string? s) => string.IsNullOrEmpty(s) ? null : s;
        var witness = new Option<FileInfo>("--witness") { HelpName = "W.json", Description = "Witness JSON written by `vm run --witness-at`.", Required = true };
        var rpc = new Option<string?>("--rpc") { HelpName = "URL", Description = "JSON-RPC URL of a chain to deploy to (default: OpmlNode:Chain:RpcUrl, else start a local anvil from contracts/node_modules).", DefaultValueFactory = _ => OrNull(options.Chain.RpcUrl) };
        var key = new Option<string?>("--key") { HelpName = "HEX", Description = "Hex private key that deploys RiscvStep on --rpc (default: OpmlNode:Chain:PrivateKey, else anvil's first dev key).", DefaultValueFactory = _ => OrNull(options.Chain.PrivateKey) };
        var contracts = new Option<DirectoryInfo>("--contracts") { Description = "The contracts/ Foundry project (for the compiled RiscvStep and anvil).", DefaultValueFactory = _ => new DirectoryInfo(options.Contracts.Directory) };
        var tamper = new Option<bool>("--tamper") { Description = "Flip one byte of the fetch proof first: the contract must reject the witness." };
        var cmd = new Command("verify-step",
            "Deploy the RiscvStep contract and execute one witnessed VM step on chain (eth_call), comparing the post-state hash " +
            "with the C# fast VM's. Exit code 0 if they agree (or, with --tamper, if the contract rejects the witness), 1 otherwise.")
        {
            witness, rpc, key, contracts, tamper,
        };
        cmd.SetAction(async (p, ct) => await VerifyStep(p.GetValue(witness)!, p.GetValue(rpc), p.GetValue(key), p.GetValue(contracts)!, p.GetValue(tamper), ct));
        return cmd;
    }

    private static async Task<int> VerifyStep(FileInfo witnessFile, string? rpc, string? key, DirectoryInfo contracts, bool tamper, CancellationToken ct)
    {
        byte[] state, proofs;
        Hash256 expected;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(witnessFile.FullName));
            var r = doc.RootElement;
            state = Convert.FromHexString(r.GetProperty("state").GetString()![2..]);
            proofs = Convert.FromHexString(r.GetProperty("proofs").GetString()![2..]);
            expected = Hash256.FromHex(r.GetProperty("postStateHash").GetString()!);
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: cannot read witness {witnessFile.FullName}: {e.Message}");
            return ExitCodes.BadInput;
        }
        if (tamper)
        {
            if (proofs.Length == 0) { Console.Error.WriteLine("error: this witness has no proof to tamper with"); return ExitCodes.BadInput; }
            proofs[40] ^= 0x01; // first sibling of the fetch proof
        }

        Anvil? anvil = null;
        try
        {
            string bytecode;
            try { bytecode = ContractArtifacts.LoadBytecode(contracts.FullName); }
            catch (ContractArtifactException e) { Console.Error.WriteLine($"error: {e.Message}"); return ExitCodes.BadInput; }
            if (rpc is null)
            {
                anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = contracts.FullName }, ct);
                rpc = anvil.RpcUrl;
                Console.WriteLine($"started anvil at {rpc}");
            }
            var web3 = new Web3(new Account(key ?? Anvil.DevPrivateKeys[0], anvil?.ChainId), rpc);
            var step = await RiscvStepService.DeployAsync(web3, bytecode, ct);
            Console.WriteLine($"RiscvStep deployed at {step.ContractAddress}");
            try
            {
                var onChain = new Hash256(await step.StepAsync(state, proofs));
                var receipt = await step.StepTransactionAsync(state, proofs, ct);
                Console.WriteLine($"step {VmState.Decode(state).Step}: on-chain post-state hash {onChain} (tx gasUsed {receipt.GasUsed.Value})");
                Console.WriteLine($"                C# fast VM post-state hash {expected}");
                if (tamper) { Console.Error.WriteLine("error: the contract accepted a tampered witness"); return 1; }
                Console.WriteLine(onChain == expected ? "AGREE: the contract and the C# VM computed the same post-state" : "DISAGREE");
                return onChain == expected ? 0 : 1;
            }
            catch (RiscvStepRevertException e)
            {
                Console.WriteLine($"contract rejected the witness: {e.Message}");
                return tamper ? 0 : 1;
            }
        }
        catch (AnvilException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        finally
        {
            anvil?.Dispose();
        }
    }
}
