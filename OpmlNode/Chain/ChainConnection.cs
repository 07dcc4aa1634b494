using System.Net.Http.Json;
using System.Text.Json;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Chain;

/// <summary>The JSON-RPC endpoint did not answer (refused, timed out, not JSON-RPC). An <see cref="IOException"/>, so
/// the CLI reports it as bad input (exit 2) with its plain message.</summary>
public sealed class RpcUnreachableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// One checked connection to a chain for the operator verbs and the daemon: a validated http(s) RPC URL that answered
/// <c>eth_chainId</c> within a short timeout, optionally a signing account (the key is never exposed, only
/// <see cref="Address"/>), and optionally a deployment file whose chain id matches and whose addresses all hold code.
/// Local inputs (URL, deployment file, key) are checked before the network is touched.
/// </summary>
public sealed class ChainConnection
{
    /// <summary>How long the first <c>eth_chainId</c> may take before the endpoint is called unreachable.</summary>
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(5);

    private ChainConnection(string rpcUrl, long chainId, Web3 web3, string? address, DeployedContracts? deployment)
    {
        RpcUrl = rpcUrl;
        ChainId = chainId;
        Web3 = web3;
        Address = address;
        Deployment = deployment;
    }

    public string RpcUrl { get; }
    public long ChainId { get; }
    public Web3 Web3 { get; }

    /// <summary>The signing account's address; null for a read-only connection.</summary>
    public string? Address { get; }

    public DeployedContracts? Deployment { get; }

    private DeployedContracts Deployed => Deployment ?? throw new InvalidOperationException("this connection has no deployment");
    public ModelRegistryService Registry => new(Web3, Deployed.Registry);
    public OpmlTasksService Tasks => new(Web3, Deployed.Tasks);
    public DisputeGameService Game => new(Web3, Deployed.Game);

    /// <summary>An absolute http(s) URL, else <see cref="ArgumentException"/> saying what was wrong.</summary>
    public static Uri ParseRpcUrl(string? url, string source = "--rpc")
    {
        if (string.IsNullOrWhiteSpace(url))
            throw new ArgumentException($"no RPC endpoint: pass {source} URL (or set OpmlNode:Chain:RpcUrl)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(u.Host))
            throw new ArgumentException($"{source} '{url}' is not an http(s) URL (e.g. http://127.0.0.1:8545)");
        return u;
    }

    /// <summary>Asks <paramref name="url"/> for its chain id with a hard <paramref name="timeout"/>;
    /// <see cref="RpcUnreachableException"/> when it does not answer as a JSON-RPC node.</summary>
    public static async Task<long> ProbeChainIdAsync(Uri url, TimeSpan timeout, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        string what = $"cannot reach the RPC endpoint {url}";
        try
        {
            using var resp = await http.PostAsJsonAsync(url, new { jsonrpc = "2.0", id = 1, method = "eth_chainId", @params = Array.Empty<object>() }, cts.Token).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode) throw new RpcUnreachableException($"{what}: HTTP {(int)resp.StatusCode} {resp.ReasonPhrase}");
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false));
            if (doc.RootElement.TryGetProperty("result", out var r) && r.GetString() is { } hex && hex.StartsWith("0x", StringComparison.Ordinal))
                return Convert.ToInt64(hex[2..], 16);
            throw new RpcUnreachableException($"{what}: it did not answer eth_chainId (not a JSON-RPC node?)");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcUnreachableException($"{what}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            throw new RpcUnreachableException($"{what}: {e.Message}", e);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new RpcUnreachableException($"{what}: it did not answer eth_chainId with a chain id (not a JSON-RPC node?)", e);
        }
    }

    /// <summary>
    /// Opens a connection: checks the URL, loads the deployment file (if <paramref name="deploymentPath"/> is given),
    /// takes the signing key (if <paramref name="privateKey"/> is given; null = read-only), probes the endpoint, then
    /// verifies the deployment against the chain.
    /// </summary>
    public static async Task<ChainConnection> OpenAsync(string? rpcUrl, string? privateKey, string? deploymentPath,
        TimeSpan? probeTimeout = null, CancellationToken ct = default)
    {
        var url = ParseRpcUrl(rpcUrl);
        var deployment = deploymentPath is null ? null : DeployedContracts.Load(deploymentPath);
        var chainId = await ProbeChainIdAsync(url, probeTimeout ?? DefaultProbeTimeout, ct).ConfigureAwait(false);
        var web3 = privateKey is null ? new Web3(url.ToString()) : new Web3(new Account(privateKey, chainId), url.ToString());
        if (deployment is not null)
        {
            try { await deployment.VerifyAsync(web3).ConfigureAwait(false); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{deploymentPath}: {e.Message}", e); }
        }
        return new ChainConnection(url.ToString(), chainId, web3, privateKey is null ? null : SigningKey.AddressOf(privateKey), deployment);
    }
}
