using System.CommandLine;
using System.Numerics;
using OpmlNode.Chain;
using OpmlNode.Configuration;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node deploy`: deploy RiscvStep, ModelRegistry and OpmlTasks (which creates the DisputeGame) and write the deployment file.</summary>
internal static class DeployCommand
{
    public static Command Build(NodeOptions options)
    {
        var d = DeployParameters.Devnet;
        var chain = new ChainOptions(options, deployment: false);
        var contracts = new Option<DirectoryInfo>("--contracts") { Description = "The contracts/ Foundry project whose forge artifacts (out/) are deployed.", DefaultValueFactory = _ => new DirectoryInfo(options.Contracts.Directory) };
        var window = new Option<ulong>("--window") { HelpName = "S", Description = "Challenge window Wc in seconds (≥ 1).", DefaultValueFactory = _ => d.ChallengeWindow };
        var k = new Option<int>("--k") { HelpName = "K", Description = "Bisection arity k (2..64).", DefaultValueFactory = _ => d.K };
        var clock = new Option<ulong>("--clock") { HelpName = "S", Description = "Chess-clock budget C per side in seconds (< 2^32).", DefaultValueFactory = _ => d.ClockBudget };
        var extension = new Option<ulong>("--extension") { HelpName = "S", Description = "Clock floor E in seconds per transaction of a turn (1..2^32−1): a turn of n transactions starts with at least n·E.", DefaultValueFactory = _ => d.Extension };
        var submitterBond = new Option<string>("--submitter-bond") { HelpName = "WEI", Description = "Submitter bond Bs in wei.", DefaultValueFactory = _ => d.SubmitterBond.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var challengerBond = new Option<string>("--challenger-bond") { HelpName = "WEI", Description = "Challenger bond Bc in wei.", DefaultValueFactory = _ => d.ChallengerBond.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var minFee = new Option<string>("--min-fee") { HelpName = "WEI", Description = "Minimum task fee in wei.", DefaultValueFactory = _ => d.MinFee.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var expiry = new Option<ulong>("--expiry") { HelpName = "S", Description = "Task expiry in seconds (≥ 1): an Open task older than this gives its fee back to the requester (`opml-node reclaim`).", DefaultValueFactory = _ => d.TaskExpiry };
        var lossBps = new Option<int>("--loss-bps") { HelpName = "BP", Description = "Share of a rejected submitter's bond it loses whoever wins, in basis points (1..10000), sent to --loss-receiver.", DefaultValueFactory = _ => d.LossBps };
        var lossReceiver = new Option<string>("--loss-receiver") { HelpName = "ADDRESS", Description = "Where the lost share goes (non-zero; the default 0x…dEaD burns it).", DefaultValueFactory = _ => d.LossReceiver };
        var gasPrice = new Option<decimal>("--gas-price-gwei") { HelpName = "GWEI", Description = "Gas price the challenger bond must cover the defender's worst-case game at (PROTOCOL §5.8); deploy refuses a smaller bond.", DefaultValueFactory = _ => 10m };
        var output = new Option<FileInfo>("--out") { Description = "Deployment file to write (read by every other chain verb as --deployment).", DefaultValueFactory = _ => new FileInfo(ChainOptions.DefaultDeploymentFile) };
        var cmd = new Command("deploy",
            "Deploy the opML contracts (RiscvStep, ModelRegistry, OpmlTasks and the DisputeGame it creates; PROTOCOL §5) from forge's " +
            "artifacts, check code at every address, write the deployment file and print the addresses. Parameter defaults: a local devnet.\n" +
            $"Exit code: 0; {ExitCodes.BadInput} for bad options, an unreachable endpoint or missing artifacts.")
        {
            contracts, window, k, clock, extension, submitterBond, challengerBond, minFee, expiry, lossBps, lossReceiver, gasPrice, output,
        };
        chain.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            var parameters = new DeployParameters(p.GetValue(window), Wei(p.GetValue(submitterBond)!, "--submitter-bond"), Wei(p.GetValue(challengerBond)!, "--challenger-bond"),
                p.GetValue(k), p.GetValue(clock), p.GetValue(extension), Wei(p.GetValue(minFee)!, "--min-fee"), p.GetValue(expiry), p.GetValue(lossBps), p.GetValue(lossReceiver)!);
            var errors = DeployParameterRules.Check(parameters);
            if (errors.Count > 0) return Fail(string.Join("; ", errors));
            var gwei = p.GetValue(gasPrice);
            if (gwei < 0) return Fail("--gas-price-gwei must not be negative");
            if (DeployParameterRules.CheckChallengerBond(parameters, new BigInteger(gwei * 1_000_000_000m)) is { } weak) return Fail(weak);
            ChainConnection.ParseRpcUrl(p.GetValue(chain.Rpc));
            var dir = p.GetValue(contracts)!.FullName;
            foreach (var name in new[] { "RiscvStep", "ModelRegistry", "OpmlTasks" }) ContractArtifacts.LoadBytecode(dir, name);
            var outPath = p.GetValue(output)!.FullName;
            if (!Directory.Exists(Path.GetDirectoryName(outPath))) return Fail($"--out {outPath}: no such directory");
            var conn = await chain.ConnectAsync(p, ct);
            Console.WriteLine(Invariant($"deploying to chain {conn.ChainId} at {conn.RpcUrl} from {conn.Address}"));
            var deployed = await DeployedContracts.DeployAsync(conn.Web3, dir, parameters, ct);
            await deployed.VerifyAsync(conn.Web3);
            deployed.Save(outPath);
            Console.WriteLine($"RiscvStep:     {deployed.RiscvStep}");
            Console.WriteLine($"ModelRegistry: {deployed.Registry}");
            Console.WriteLine($"OpmlTasks:     {deployed.Tasks}");
            Console.WriteLine($"DisputeGame:   {deployed.Game}");
            Console.WriteLine(Invariant($"parameters:    window {parameters.ChallengeWindow} s, k {parameters.K}, clock {parameters.ClockBudget} s, extension {parameters.Extension} s, bonds {parameters.SubmitterBond}/{parameters.ChallengerBond} wei, min fee {parameters.MinFee} wei, expiry {parameters.TaskExpiry} s, loss {parameters.LossBps} bp to {parameters.LossReceiver}"));
            Console.WriteLine($"wrote {outPath}");
            return 0;
        });
        return cmd;
    }

    /// <summary>A non-negative integer amount of wei.</summary>
    internal static BigInteger Wei(string text, string option) =>
        BigInteger.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new ArgumentException($"'{text}' is not a valid value for {option}: expected a non-negative integer amount of wei");
}
