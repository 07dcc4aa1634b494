using Microsoft.Extensions.Options;
using OpmlNode.Chain;
using OpmlNode.Inference.Backends;

namespace OpmlNode.Hosting;

/// <summary>Fails the start (ValidateOnStart) with one line per problem: the node never starts half-configured.</summary>
public sealed class NodeRunOptionsValidator : IValidateOptions<NodeRunOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeRunOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.RpcUrl)) errors.Add("RpcUrl is missing (--rpc URL or OpmlNode:Node:RpcUrl)");
        else if (!(Uri.TryCreate(o.RpcUrl, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
            errors.Add($"RpcUrl '{o.RpcUrl}' is not an http(s) URL");
        foreach (var f in o.FallbackRpcUrls)
            if (!(Uri.TryCreate(f, UriKind.Absolute, out var fu) && (fu.Scheme == Uri.UriSchemeHttp || fu.Scheme == Uri.UriSchemeHttps)))
                errors.Add($"fallback RPC URL '{f}' is not an http(s) URL (--rpc-fallback)");
        if (o.FallbackRpcUrls.Contains(o.RpcUrl ?? "", StringComparer.OrdinalIgnoreCase) || o.FallbackRpcUrls.Distinct(StringComparer.OrdinalIgnoreCase).Count() != o.FallbackRpcUrls.Count)
            errors.Add("an RPC URL is given twice (--rpc and --rpc-fallback)");
        try { SigningKey.Load(o.KeyFile, o.KeyEnv); }
        catch (InvalidDataException e) { errors.Add(e.Message); }
        try { DeployedContracts.Load(o.Deployment); }
        catch (InvalidDataException e) { errors.Add(e.Message); }
        if (!o.Submitter && !o.Verifier) errors.Add("no role: give --submitter and/or --verifier");
        if (o.Models.Count == 0) errors.Add("no model served: give --model ID=FILE.opml");
        foreach (var m in o.Models)
            if (!File.Exists(m.File)) errors.Add($"model {m.ModelId}: file {m.File} does not exist");
        if (o.Models.Select(m => m.ModelId).Distinct().Count() != o.Models.Count) errors.Add("a model id is served twice");
        if (!OpBackends.TryParse(o.Backend, out _)) errors.Add($"Backend '{o.Backend}' is not one of {OpBackends.Names}");
        if (o.Confirmations < 0) errors.Add("Confirmations must be >= 0");
        if (o.CheckpointEveryPasses < 1) errors.Add("CheckpointEveryPasses must be >= 1 (--checkpoint-every PASSES)");
        if (o.UndoRanges < 1) errors.Add("UndoRanges must be >= 1 (--undo-ranges N)");
        if (o.PollMilliseconds is < 10 or > 60_000) errors.Add("PollMilliseconds must be in [10, 60000]");
        if (o.MetricsPort is < 0 or > 65535) errors.Add($"MetricsPort {o.MetricsPort} is not a TCP port (--metrics-port 1..65535, 0 for off)");
        if (o.MaxFeeGwei is { } cap && !(cap > 0 && double.IsFinite(cap))) errors.Add($"MaxFeeGwei {cap} must be a positive number of gwei (--max-fee-gwei)");
        if (o.ReplaceAfterSeconds is < 1 or > 3600) errors.Add($"ReplaceAfterSeconds {o.ReplaceAfterSeconds} must be in [1, 3600] (--replace-after)");
        if (o.LogFormat is not ("json" or "text")) errors.Add($"LogFormat '{o.LogFormat}' is not json or text (--log-format)");
        if (string.IsNullOrWhiteSpace(o.DataDir)) errors.Add("DataDir is missing");
        else if (File.Exists(o.DataDir)) errors.Add($"DataDir {o.DataDir} is a file");
        if (o.Faults.LieSlot is { } ls && ls != "random" && !ulong.TryParse(ls, out _)) errors.Add($"--lie-slot '{ls}' is not a slot number or 'random'");
        if (o.Faults.LieSlot is not null && o.Faults.LieStep is not null) errors.Add("--lie-slot and --lie-step exclude each other");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
