using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Nethereum.ABI;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.ABI.Model;
using Nethereum.Contracts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// The generated Nethereum DTOs (tools/bindings/generate.js) in <c>OpmlNode.Chain.Contracts</c> against forge's compiled ABIs
/// (<c>contracts/out/*.sol/*.json</c>, built by <c>npx forge build</c>; no chain needed). Signatures on the C# side come
/// from Nethereum's own ABI extraction of the attributes (<see cref="ABITypedRegistry"/>), on the artifact side from the
/// ABI JSON, hashed with the project's keccak, and cross-checked with the artifact's <c>methodIdentifiers</c>.
/// </summary>
public partial class ContractBindingAbiTests
{
    private static readonly string[] Contracts =
        [ContractNames.ModelRegistry, ContractNames.OpmlTasks, ContractNames.DisputeGame, ContractNames.RiscvStep];

    private static readonly Type[] Bindings = typeof(ContractRevertException).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(ContractRevertException).Namespace && !t.IsAbstract).ToArray();

    [Theory]
    [InlineData(ContractNames.ModelRegistry)]
    [InlineData(ContractNames.OpmlTasks)]
    [InlineData(ContractNames.DisputeGame)]
    [InlineData(ContractNames.RiscvStep)]
    public void FunctionsEventsAndConstructorMatchTheArtifact(string contract)
    {
        var problems = Compare(contract, Artifact.Load(contract), Bindings);
        Assert.True(problems.Count == 0, $"{contract}:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void EveryCSharpFunctionAndEventBelongsToAContract()
    {
        var loose = Bindings.Where(t => (typeof(FunctionMessage).IsAssignableFrom(t) || typeof(IEventDTO).IsAssignableFrom(t)
                                         || typeof(ContractDeploymentMessage).IsAssignableFrom(t))
                                        && !Contracts.Contains(t.GetCustomAttribute<ContractAbiAttribute>()?.Contract))
            .Select(t => t.Name).ToList();
        Assert.True(loose.Count == 0, "DTOs without [ContractAbi] of a known contract: " + string.Join(", ", loose));

        // Every [FunctionOutput] DTO is the output of some function.
        var used = Bindings.Select(t => t.GetCustomAttribute<FunctionAttribute>()?.DTOReturnType).OfType<Type>().ToHashSet();
        var unused = Bindings.Where(t => t.GetCustomAttribute<FunctionOutputAttribute>() is not null && !used.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(unused.Count == 0, "[FunctionOutput] DTOs no function returns: " + string.Join(", ", unused));
    }

    /// <summary>Every error of every artifact has exactly one C# DTO of the same signature, every C# error DTO is in some
    /// artifact, and every error declared in Errors.sol (used or not) has a DTO.</summary>
    [Fact]
    public void ErrorsMatchTheArtifactsAndErrorsSol()
    {
        var ours = ErrorTypes(Bindings);
        var problems = new List<string>();
        var inSomeArtifact = new HashSet<string>();
        foreach (var contract in Contracts)
        {
            foreach (var (name, signature) in Artifact.Load(contract).Errors)
            {
                inSomeArtifact.Add(signature);
                var matches = ours.Where(e => e.Name == name).ToList();
                if (matches.Count != 1) problems.Add($"{contract}: error {signature} has {matches.Count} C# DTOs");
                else if (matches[0].Signature != signature) problems.Add($"{contract}: error {signature} != C# {matches[0].Signature}");
                else if (matches[0].Selector != Selector(signature)) problems.Add($"{contract}: error {signature} selector {matches[0].Selector} != {Selector(signature)}");
            }
        }
        foreach (var e in ours.Where(e => !inSomeArtifact.Contains(e.Signature)))
            problems.Add($"C# error {e.Type.Name} ({e.Signature}) is in no artifact");

        var declared = ErrorsSol();
        Assert.True(declared.Count >= 40, $"parsed only {declared.Count} errors from Errors.sol");
        foreach (var signature in declared.Where(s => ours.All(e => e.Signature != s)))
            problems.Add($"Errors.sol declares {signature}, no C# DTO");
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The runtime decoder knows every error DTO.
        Assert.Equal(ours.Select(e => e.Selector).Order(), ContractErrors.BySelector.Keys.Order());
    }

    /// <summary>The checker itself catches drift: DTOs with a wrong parameter type, a lost <c>indexed</c>, swapped
    /// struct fields, a misnamed error and a DTO without ABI counterpart are all reported.</summary>
    [Fact]
    public void TheCheckerReportsDrift()
    {
        var tasks = Artifact.Load(ContractNames.OpmlTasks);
        Assert.Empty(Compare(ContractNames.OpmlTasks, tasks, Bindings));

        var withBadSubmit = Bindings.Where(t => t != typeof(SubmitFunction)).Append(typeof(DriftSubmitFunction)).ToArray();
        Assert.Contains(Compare(ContractNames.OpmlTasks, tasks, withBadSubmit), p => p.Contains("submit(") && p.Contains("bytes32)"));

        var withBadEvent = Bindings.Where(t => t != typeof(WithdrawnEvent)).Append(typeof(DriftWithdrawnEvent)).ToArray();
        Assert.Contains(Compare(ContractNames.OpmlTasks, tasks, withBadEvent), p => p.Contains("Withdrawn") && p.Contains("indexed"));

        var withBadStruct = Bindings.Where(t => t != typeof(TaskFunction)).Append(typeof(DriftTaskFunction)).ToArray();
        Assert.Contains(Compare(ContractNames.OpmlTasks, tasks, withBadStruct), p => p.Contains("task(uint256) outputs"));

        var withExtra = Bindings.Append(typeof(DriftExtraFunction)).ToArray();
        Assert.Contains(Compare(ContractNames.OpmlTasks, tasks, withExtra), p => p.Contains("no ABI counterpart") && p.Contains("sweep"));

        var withDuplicate = Bindings.Append(typeof(DriftSubmitFunction)).ToArray();
        Assert.Contains(Compare(ContractNames.OpmlTasks, tasks, withDuplicate), p => p.Contains("2 C# FunctionMessages"));

        var badError = ErrorTypes([typeof(DriftWrongBondError)]).Single();
        Assert.NotEqual(tasks.Errors["WrongBond"], badError.Signature);
    }

    // ------------------------------------------------------------------ the comparison

    private sealed record Member(string Kind, string Name, string Signature, string Detail, Type? Type);

    /// <summary>Every difference between the ABI of <paramref name="contract"/> and the DTOs among <paramref name="types"/>
    /// tagged <c>[ContractAbi(contract)]</c>; empty when they agree.</summary>
    private static List<string> Compare(string contract, Artifact artifact, IEnumerable<Type> types)
    {
        var problems = new List<string>();
        var mine = types.Where(t => t.GetCustomAttribute<ContractAbiAttribute>()?.Contract == contract).ToList();

        // Functions: name, canonical input signature, selector (Nethereum's and keccak of the ABI's), outputs.
        var functions = mine.Where(t => typeof(FunctionMessage).IsAssignableFrom(t)).Select(t =>
        {
            var abi = ABITypedRegistry.GetFunctionABI(t);
            var signature = $"{abi.Name}({Types(abi.InputParameters)})";
            if (!string.Equals(abi.Sha3Signature, Selector(signature), StringComparison.OrdinalIgnoreCase))
                problems.Add($"{t.Name}: Nethereum selector {abi.Sha3Signature} != keccak({signature})");
            return new Member("function", abi.Name, signature, Types(abi.OutputParameters), t);
        }).ToList();
        Match("function", artifact.Functions, functions, problems, (abi, cs) =>
        {
            if (abi.Detail != cs.Detail) problems.Add($"{abi.Signature} outputs ({abi.Detail}) != C# {cs.Type!.Name} ({cs.Detail})");
            var id = artifact.MethodIdentifiers.GetValueOrDefault(abi.Signature);
            if (id != Selector(abi.Signature)) problems.Add($"{abi.Signature}: methodIdentifiers {id} != keccak {Selector(abi.Signature)}");
            var nethereum = ABITypedRegistry.GetFunctionABI(cs.Type!).Sha3Signature;
            if (!string.Equals(id, nethereum, StringComparison.OrdinalIgnoreCase))
                problems.Add($"{abi.Signature}: methodIdentifiers {id} != Nethereum {nethereum}");
        });
        if (artifact.MethodIdentifiers.Count != artifact.Functions.Count)
            problems.Add($"methodIdentifiers has {artifact.MethodIdentifiers.Count} entries, the ABI {artifact.Functions.Count} functions");

        // Events: signature, topic 0, indexed flags.
        var events = mine.Where(t => typeof(IEventDTO).IsAssignableFrom(t)).Select(t =>
        {
            var abi = ABITypedRegistry.GetEvent(t);
            var signature = $"{abi.Name}({Types(abi.InputParameters)})";
            if (!string.Equals(abi.Sha3Signature, Keccak(signature), StringComparison.OrdinalIgnoreCase))
                problems.Add($"{t.Name}: Nethereum topic {abi.Sha3Signature} != keccak({signature})");
            return new Member("event", abi.Name, signature, Indexed(abi.InputParameters), t);
        }).ToList();
        Match("event", artifact.Events, events, problems, (abi, cs) =>
        {
            if (abi.Detail != cs.Detail) problems.Add($"{abi.Signature}: indexed flags {abi.Detail} != C# {cs.Type!.Name} {cs.Detail}");
        });

        // Constructor: the deployment DTO's [Parameter]s in order.
        var deployments = mine.Where(t => typeof(ContractDeploymentMessage).IsAssignableFrom(t)).ToList();
        if (deployments.Count != 1) problems.Add($"{deployments.Count} deployment DTOs (expected 1)");
        else
        {
            var cs = DtoTypes(deployments[0]);
            if (cs != artifact.Constructor) problems.Add($"constructor({artifact.Constructor}) != C# {deployments[0].Name}({cs})");
        }
        return problems;
    }

    /// <summary>A DTO's [Parameter] types in order, a "tuple" property expanded into its own DTO's types.</summary>
    private static string DtoTypes(Type dto) => string.Join(",", dto.GetProperties()
        .Select(p => (Property: p, Attr: p.GetCustomAttribute<ParameterAttribute>())).Where(x => x.Attr is not null)
        .OrderBy(x => x.Attr!.Order)
        .Select(x => x.Attr!.Type == "tuple" ? "(" + DtoTypes(x.Property.PropertyType) + ")" : x.Attr.Type));

    /// <summary>Pairs ABI and C# members by name: each ABI member needs exactly one C# member with its signature, and
    /// every C# member needs an ABI one.</summary>
    private static void Match(string kind, IReadOnlyList<Member> abi, List<Member> cs, List<string> problems, Action<Member, Member> check)
    {
        foreach (var a in abi)
        {
            var byName = cs.Where(c => c.Name == a.Name).ToList();
            if (byName.Count != 1)
                problems.Add($"{kind} {a.Signature}: {byName.Count} C# {(kind == "function" ? "FunctionMessages" : "event DTOs")} " +
                             $"({string.Join(", ", byName.Select(c => c.Type!.Name + " " + c.Signature))})");
            else if (byName[0].Signature != a.Signature) problems.Add($"{kind} {a.Signature} != C# {byName[0].Type!.Name} {byName[0].Signature}");
            else check(a, byName[0]);
        }
        foreach (var c in cs.Where(c => abi.All(a => a.Name != c.Name)))
            problems.Add($"C# {c.Type!.Name} ({c.Signature}) has no ABI counterpart");
    }

    private sealed record ErrorDto(Type Type, string Name, string Signature, string Selector);

    private static List<ErrorDto> ErrorTypes(IEnumerable<Type> types) =>
        types.Where(t => typeof(IErrorDTO).IsAssignableFrom(t) && t.GetCustomAttribute<ErrorAttribute>() is not null).Select(t =>
        {
            var abi = ABITypedRegistry.GetError(t);
            return new ErrorDto(t, abi.Name, $"{abi.Name}({Types(abi.InputParameters)})", abi.Sha3Signature.ToLowerInvariant());
        }).ToList();

    /// <summary>The canonical signatures of the errors declared in contracts/src/lib/Errors.sol (enums are uint8).</summary>
    private static List<string> ErrorsSol() =>
        ErrorDecl().Matches(File.ReadAllText(Repo.Path("contracts", "src", "lib", "Errors.sol"))).Select(m =>
        {
            var types = m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p.Split(' ')[0]).Select(t => t == "Stage" ? "uint8" : t);
            return $"{m.Groups[1].Value}({string.Join(",", types)})";
        }).ToList();

    [GeneratedRegex(@"^error (\w+)\(([^)]*)\);", RegexOptions.Multiline)]
    private static partial Regex ErrorDecl();

    /// <summary>Canonical ABI types of Nethereum parameters (tuples expanded, as in a selector).</summary>
    private static string Types(IEnumerable<Parameter>? ps) => string.Join(",", (ps ?? []).OrderBy(p => p.Order).Select(Canonical));

    private static string Canonical(Parameter p) =>
        p.ABIType is TupleType tuple
            ? "(" + Types(tuple.Components) + ")"
            : p.ABIType is ArrayType && p.Type.StartsWith("tuple", StringComparison.Ordinal)
                ? throw new NotSupportedException("tuple arrays are not used by these contracts")
                : p.Type;

    private static string Indexed(IEnumerable<Parameter>? ps) =>
        string.Join(",", (ps ?? []).OrderBy(p => p.Order).Select(p => p.Indexed ? "indexed" : "-"));

    private static string Keccak(string signature) =>
        Convert.ToHexStringLower(Keccak256.Hash(Encoding.ASCII.GetBytes(signature)).Bytes);

    private static string Selector(string signature) => Keccak(signature)[..8];

    // ------------------------------------------------------------------ forge's artifact

    private sealed class Artifact
    {
        public required List<Member> Functions { get; init; }
        public required List<Member> Events { get; init; }
        public required Dictionary<string, string> Errors { get; init; }
        public required Dictionary<string, string> MethodIdentifiers { get; init; }
        public required string Constructor { get; init; }

        private static readonly Dictionary<string, Artifact> Cache = [];

        public static Artifact Load(string contract)
        {
            lock (Cache)
            {
                if (Cache.TryGetValue(contract, out var cached)) return cached;
                var path = ContractArtifacts.ArtifactPath(Repo.Path("contracts"), contract);
                Assert.True(File.Exists(path), $"{path} missing: run `cd contracts && npx forge build`");
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                var abi = doc.RootElement.GetProperty("abi").EnumerateArray().ToList();
                IEnumerable<JsonElement> Of(string type) => abi.Where(e => e.GetProperty("type").GetString() == type);
                string Sig(JsonElement e) => $"{e.GetProperty("name").GetString()}({Inputs(e, "inputs")})";
                var artifact = new Artifact
                {
                    Functions = Of("function").Select(e => new Member("function", e.GetProperty("name").GetString()!, Sig(e), Inputs(e, "outputs"), null)).ToList(),
                    Events = Of("event").Select(e => new Member("event", e.GetProperty("name").GetString()!, Sig(e),
                        string.Join(",", e.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("indexed").GetBoolean() ? "indexed" : "-")), null)).ToList(),
                    Errors = Of("error").ToDictionary(e => e.GetProperty("name").GetString()!, Sig),
                    MethodIdentifiers = doc.RootElement.GetProperty("methodIdentifiers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                    Constructor = Of("constructor").Select(e => Inputs(e, "inputs")).SingleOrDefault() ?? "",
                };
                Assert.NotEmpty(artifact.Functions);
                Cache[contract] = artifact;
                return artifact;
            }
        }

        private static string Inputs(JsonElement e, string property) =>
            string.Join(",", e.GetProperty(property).EnumerateArray().Select(Type));

        private static string Type(JsonElement p)
        {
            var type = p.GetProperty("type").GetString()!;
            return type.StartsWith("tuple", StringComparison.Ordinal) ? "(" + Inputs(p, "components") + ")" + type["tuple".Length..] : type;
        }
    }

    // ------------------------------------------------------------------ deliberately drifted DTOs (for TheCheckerReportsDrift)

    [ContractAbi(ContractNames.OpmlTasks)]
    [Function("submit", "uint256")]
    private sealed class DriftSubmitFunction : FunctionMessage
    {
        [Parameter("uint256", "taskId", 1)] public System.Numerics.BigInteger TaskId { get; set; }
        [Parameter("bytes", "output", 2)] public byte[] Output { get; set; } = [];
        [Parameter("bytes32", "finalRoot", 3)] public byte[] FinalRoot { get; set; } = [];
        [Parameter("bytes32", "outputSlotProof", 4)] public byte[] OutputSlotProof { get; set; } = []; // should be bytes32[]
    }

    [ContractAbi(ContractNames.OpmlTasks)]
    [Event("Withdrawn")]
    private sealed class DriftWithdrawnEvent : IEventDTO
    {
        [Parameter("address", "account", 1, false)] public string Account { get; set; } = ""; // should be indexed
        [Parameter("uint256", "amount", 2, false)] public System.Numerics.BigInteger Amount { get; set; }
    }

    [ContractAbi(ContractNames.OpmlTasks)]
    [Function("task", typeof(DriftTaskOutput))]
    private sealed class DriftTaskFunction : FunctionMessage
    {
        [Parameter("uint256", "taskId", 1)] public System.Numerics.BigInteger TaskId { get; set; }
    }

    [FunctionOutput]
    private sealed class DriftTaskOutput : IFunctionOutputDTO
    {
        [Parameter("tuple", "t", 1)] public DriftTask T { get; set; } = new();
    }

    private sealed class DriftTask // passes and modelId swapped
    {
        [Parameter("uint32", "passes", 1)] public uint Passes { get; set; }
        [Parameter("uint64", "modelId", 2)] public ulong ModelId { get; set; }
        [Parameter("uint8", "status", 3)] public byte Status { get; set; }
        [Parameter("uint64", "slots", 4)] public ulong Slots { get; set; }
        [Parameter("uint64", "outputSlot", 5)] public ulong OutputSlot { get; set; }
        [Parameter("uint64", "submissionId", 6)] public ulong SubmissionId { get; set; }
        [Parameter("address", "requester", 7)] public string Requester { get; set; } = "";
        [Parameter("uint256", "fee", 8)] public System.Numerics.BigInteger Fee { get; set; }
        [Parameter("bytes32", "inputRoot", 9)] public byte[] InputRoot { get; set; } = [];
    }

    [ContractAbi(ContractNames.OpmlTasks)]
    [Function("sweep")]
    private sealed class DriftExtraFunction : FunctionMessage;

    [Error("WrongBond")]
    private sealed class DriftWrongBondError : IErrorDTO
    {
        [Parameter("uint256", "expected", 1)] public System.Numerics.BigInteger Expected { get; set; }
    }
}
