using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nethereum.Web3;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Chain;

/// <summary>The deploy-time parameters of the task contract (PROTOCOL §5): window, bonds, arity, clocks, minimum fee,
/// the task expiry and the share of a rejected submitter's bond that goes to the loss receiver.</summary>
public sealed record DeployParameters(ulong ChallengeWindow, BigInteger SubmitterBond, BigInteger ChallengerBond, int K,
    ulong ClockBudget, ulong Extension, BigInteger MinFee, ulong TaskExpiry = DeployParameters.DefaultTaskExpiry,
    int LossBps = DeployParameters.DefaultLossBps, string LossReceiver = DeployParameters.BurnAddress)
{
    /// <summary>Where the lost share goes by default: an address no key controls (the share is burned).</summary>
    public const string BurnAddress = "0x000000000000000000000000000000000000dEaD";
    public const ulong DefaultTaskExpiry = 7 * 24 * 3600;
    public const int DefaultLossBps = 5_000;

    /// <summary>A local devnet: short window and clocks (seconds), small bonds, k = 4, tasks expire after an hour.</summary>
    public static DeployParameters Devnet { get; } = new(ChallengeWindow: 30, SubmitterBond: BigInteger.Pow(10, 17),
        ChallengerBond: BigInteger.Pow(10, 17), K: 4, ClockBudget: 120, Extension: 20, MinFee: BigInteger.Pow(10, 15), TaskExpiry: 3600);

    /// <summary>The constructor's <c>Parameters</c> tuple.</summary>
    public ParametersInfo ToTuple() => new()
    {
        ChallengeWindow = ChallengeWindow,
        SubmitterBond = SubmitterBond,
        ChallengerBond = ChallengerBond,
        K = K,
        ClockBudget = ClockBudget,
        Extension = Extension,
        MinFee = MinFee,
        TaskExpiry = TaskExpiry,
        LossBps = LossBps,
        LossReceiver = LossReceiver,
    };
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
            P = p.ToTuple(),
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
