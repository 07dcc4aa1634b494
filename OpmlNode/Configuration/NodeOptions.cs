using Microsoft.Extensions.Configuration;
using OpmlNode.Inference.Backends;

namespace OpmlNode.Configuration;

/// <summary>
/// Settings of opml-node, from <c>appsettings.json</c> (section <c>OpmlNode</c>) beside the executable, then in the
/// working directory, then environment variables <c>OPML_OpmlNode__Section__Key</c>; command-line options override
/// all of them. Validated at start-up: a bad value stops the program with a message naming the key.
/// </summary>
public sealed class NodeOptions
{
    public const string SectionName = "OpmlNode";

    public ChainOptions Chain { get; init; } = new();
    public ContractsOptions Contracts { get; init; } = new();
    public InferenceOptions Inference { get; init; } = new();

    public sealed class ChainOptions
    {
        /// <summary>JSON-RPC URL of the chain; empty = start a local anvil from the contracts' npm packages.</summary>
        public string? RpcUrl { get; init; }

        /// <summary>Hex private key (0x + 64 hex digits) that signs deployments and transactions; empty = anvil's first dev key.</summary>
        public string? PrivateKey { get; init; }
    }

    public sealed class ContractsOptions
    {
        /// <summary>The Foundry project holding the compiled contracts (forge's out/) and the npm anvil.</summary>
        public string Directory { get; init; } = "contracts";
    }

    public sealed class InferenceOptions
    {
        /// <summary>Native backend for inference: cpu (SIMD), ilgpu (GPU; its CPU accelerator without one) or scalar (the reference).</summary>
        public string Backend { get; init; } = "cpu";

        /// <summary>The validated <see cref="Backend"/> (call after <see cref="Validate"/>).</summary>
        public BackendKind BackendKind => OpBackends.TryParse(Backend, out var k) ? k : BackendKind.Cpu;
    }

    /// <summary>Every problem with these settings, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(Chain.RpcUrl) &&
            !(Uri.TryCreate(Chain.RpcUrl, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
            errors.Add($"{SectionName}:Chain:RpcUrl must be an absolute http(s) URL, got '{Chain.RpcUrl}'");
        if (!string.IsNullOrEmpty(Chain.PrivateKey) &&
            !(Chain.PrivateKey.Length == 66 && Chain.PrivateKey.StartsWith("0x", StringComparison.Ordinal) && Chain.PrivateKey[2..].All(Uri.IsHexDigit)))
            errors.Add($"{SectionName}:Chain:PrivateKey must be 0x followed by 64 hex digits");
        if (string.IsNullOrWhiteSpace(Contracts.Directory))
            errors.Add($"{SectionName}:Contracts:Directory must not be empty");
        if (!OpBackends.TryParse(Inference.Backend, out _))
            errors.Add($"{SectionName}:Inference:Backend must be one of {OpBackends.Names}, got '{Inference.Backend}'");
        return errors;
    }

    /// <summary>Loads and binds the settings; throws <see cref="InvalidDataException"/> for unreadable JSON.</summary>
    public static NodeOptions Load(string? workingDirectory = null)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(workingDirectory ?? System.IO.Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("OPML_");
        IConfigurationRoot config;
        try { config = builder.Build(); }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{e.Message} {e.InnerException?.Message}".Trim(), e);
        }
        try { return config.GetSection(SectionName).Get<NodeOptions>() ?? new NodeOptions(); }
        catch (InvalidOperationException e) { throw new InvalidDataException($"appsettings.json: {e.Message}", e); }
    }
}
