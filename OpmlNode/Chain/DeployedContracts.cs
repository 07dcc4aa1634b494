using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nethereum.Web3;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Chain;

/// <summary>The deploy-time parameters of the task contract (PROTOCOL §5): window, bonds, arity, clocks, minimum fee.</summary>
public sealed record DeployParameters(ulong ChallengeWindow, BigInteger SubmitterBond, BigInteger ChallengerBond, int K,
    ulong ClockBudget, ulong Extension, BigInteger MinFee)
{
    /// <summary>A local devnet: short window and clocks (seconds), small bonds, k = 4.</summary>
    public static DeployParameters Devnet { get; } = new(ChallengeWindow: 30, SubmitterBond: BigInteger.Pow(10, 17),
        ChallengerBond: BigInteger.Pow(10, 17), K: 4, ClockBudget: 120, Extension: 20, MinFee: BigInteger.Pow(10, 15));
}

/// <summary>
/// Where the contracts of one deployment live, written by <c>opml-node deploy</c> and read by every other verb and the
/// daemon (JSON). Addresses are checked for code on the chain before use (<see cref="VerifyAsync"/>).
/// </summary>
public sealed record DeployedContracts(long ChainId, string RiscvStep, string Registry, string Tasks, string Game, DeployParameters Parameters)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
        Converters = { new BigIntegerConverter() },
    };

    public static async Task<DeployedContracts> DeployAsync(IWeb3 web3, string contractsDir, DeployParameters p, CancellationToken ct = default)
    {
        var step = await RiscvStepService.DeployAsync(web3, ContractArtifacts.LoadBytecode(contractsDir), ct);
        var registry = await ModelRegistryService.DeployAsync(web3, ContractArtifacts.LoadBytecode(contractsDir, ContractNames.ModelRegistry));
        var tasks = await OpmlTasksService.DeployAsync(web3, new OpmlTasksDeployment(ContractArtifacts.LoadBytecode(contractsDir, ContractNames.OpmlTasks))
        {
            Registry = registry.ContractAddress,
            RiscvStep = step.ContractAddress,
            ChallengeWindow = p.ChallengeWindow,
            SubmitterBond = p.SubmitterBond,
            ChallengerBond = p.ChallengerBond,
            K = p.K,
            ClockBudget = p.ClockBudget,
            Extension = p.Extension,
            MinFee = p.MinFee,
        });
        var chainId = (long)(await web3.Eth.ChainId.SendRequestAsync()).Value;
        return new DeployedContracts(chainId, step.ContractAddress, registry.ContractAddress, tasks.ContractAddress, await tasks.GameAddressAsync(), p);
    }

    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a deployment file; a missing or malformed file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static DeployedContracts Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no deployment file (run `opml-node deploy` first)");
        try
        {
            var d = JsonSerializer.Deserialize<DeployedContracts>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty");
            foreach (var (name, a) in new[] { ("riscvStep", d.RiscvStep), ("registry", d.Registry), ("tasks", d.Tasks), ("game", d.Game) })
                if (!IsAddress(a)) throw new InvalidDataException($"{path}: {name} '{a}' is not an address");
            return d;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a deployment file: {e.Message}"); }
    }

    /// <summary>Checks that the chain is the one deployed to and that every address holds code.</summary>
    public async Task VerifyAsync(IWeb3 web3)
    {
        var chainId = (long)(await web3.Eth.ChainId.SendRequestAsync()).Value;
        if (chainId != ChainId) throw new InvalidDataException($"the deployment is on chain {ChainId}, the RPC endpoint serves chain {chainId}");
        foreach (var (name, a) in new[] { ("RiscvStep", RiscvStep), ("ModelRegistry", Registry), ("OpmlTasks", Tasks), ("DisputeGame", Game) })
            if ((await web3.Eth.GetCode.SendRequestAsync(a)) is null or "0x" or "")
                throw new InvalidDataException($"no {name} contract at {a} on chain {chainId}");
    }

    private static bool IsAddress(string? a) => a is { Length: 42 } && a.StartsWith("0x", StringComparison.Ordinal) && a[2..].All(Uri.IsHexDigit);

    private sealed class BigIntegerConverter : JsonConverter<BigInteger>
    {
        public override BigInteger Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            BigInteger.Parse(reader.TokenType == JsonTokenType.String ? reader.GetString()! : reader.GetDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, BigInteger value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
