using System.CommandLine;
using OpmlNode.Chain;
using OpmlNode.Configuration;

namespace OpmlNode.Cli;

/// <summary>
/// The connection options every chain verb shares: <c>--rpc URL</c> (default OpmlNode:Chain:RpcUrl),
/// <c>--key-file FILE</c> | <c>--key-env NAME</c> (default environment variable <see cref="DefaultKeyEnv"/>; the key is
/// never printed, only its address) and <c>--deployment FILE</c> (default <see cref="DefaultDeploymentFile"/>).
/// <see cref="ConnectAsync"/> checks them in that order and then the chain (<see cref="ChainConnection.OpenAsync"/>).
/// </summary>
internal sealed class ChainOptions
{
    public const string DefaultKeyEnv = "OPML_KEY", DefaultDeploymentFile = "deployment.json";

    private readonly bool _deployment;
    private readonly KeyUse _key;

    /// <summary>Whether a verb signs transactions (a key is required) or only reads (a key, if given, is still checked).</summary>
    public enum KeyUse { Required, None }

    public Option<string?> Rpc { get; }
    public Option<FileInfo?> KeyFile { get; }
    public Option<string?> KeyEnv { get; }
    public Option<FileInfo> Deployment { get; }

    /// <param name="options">The node's settings; null = read them (appsettings.json, environment) when a default is needed.</param>
    public ChainOptions(NodeOptions? options, KeyUse key = KeyUse.Required, bool deployment = true)
    {
        _key = key;
        _deployment = deployment;
        Rpc = new Option<string?>("--rpc")
        {
            HelpName = "URL",
            Description = "JSON-RPC endpoint of the chain (default: OpmlNode:Chain:RpcUrl from appsettings.json or OPML_OpmlNode__Chain__RpcUrl).",
            DefaultValueFactory = _ => (options ?? Settings()).Chain.RpcUrl is { } u && !string.IsNullOrWhiteSpace(u) ? u : null,
        };
        KeyFile = new Option<FileInfo?>("--key-file")
        {
            Description = "File whose first line is the hex private key that signs" + (key == KeyUse.None ? " (not needed: this verb only reads)." : " (never printed; only its address is)."),
        };
        KeyEnv = new Option<string?>("--key-env")
        {
            HelpName = "NAME",
            Description = $"Environment variable holding the hex private key (default {DefaultKeyEnv}; --key-file wins).",
        };
        Deployment = new Option<FileInfo>("--deployment")
        {
            Description = "Deployment file written by `opml-node deploy` (contract addresses and parameters).",
            DefaultValueFactory = _ => new FileInfo(DefaultDeploymentFile),
        };
    }

    private static NodeOptions Settings()
    {
        try { return NodeOptions.Load(); }
        catch (InvalidDataException) { return new NodeOptions(); } // RunAsync has already reported unreadable settings
    }

    /// <summary>Adds the options to <paramref name="command"/> (after its own).</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Rpc);
        command.Options.Add(KeyFile);
        command.Options.Add(KeyEnv);
        if (_deployment) command.Options.Add(Deployment);
    }

    /// <summary>The private key the options name; for a read-only verb null unless one was asked for explicitly.</summary>
    public string? LoadKey(ParseResult p)
    {
        var file = p.GetValue(KeyFile);
        var env = p.GetValue(KeyEnv);
        if (_key == KeyUse.None && file is null && env is null) return null;
        if (file is null && env is null && Environment.GetEnvironmentVariable(DefaultKeyEnv) is null)
            throw new InvalidDataException($"no signing key: pass --key-file FILE or --key-env NAME, or set the environment variable {DefaultKeyEnv}");
        return SigningKey.Load(file?.FullName, env ?? DefaultKeyEnv);
    }

    /// <summary>Checks the options (URL, deployment file, key; then the endpoint and the deployment on chain) and connects.</summary>
    public Task<ChainConnection> ConnectAsync(ParseResult p, CancellationToken ct)
    {
        var rpc = p.GetValue(Rpc);
        ChainConnection.ParseRpcUrl(rpc);
        string? deployment = _deployment ? p.GetValue(Deployment)!.FullName : null;
        if (deployment is not null) DeployedContracts.Load(deployment);
        var key = LoadKey(p);
        return ChainConnection.OpenAsync(rpc, key, deployment, ct: ct);
    }
}
