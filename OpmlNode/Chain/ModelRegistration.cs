using System.Numerics;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Dispute;

namespace OpmlNode.Chain;

/// <summary>The outcome of <see cref="ModelRegistration.RegisterAsync"/>: the id, and whether an identical earlier
/// registration was reused (no transaction sent).</summary>
public sealed record ModelRegistrationResult(BigInteger ModelId, bool Reused, string? TransactionHash);

/// <summary>
/// Registering a model in the ModelRegistry (PROTOCOL §5.1) idempotently: a registration identical in every field to
/// an existing one (whoever registered it) is reused, since a registered model never changes.
/// </summary>
public static class ModelRegistration
{
    public static RegisterFunction ToFunction(RegisteredModel r) => new()
    {
        ProgramRoot = r.ProgramRoot.ToArray(),
        EntryPc = r.EntryPc,
        DescriptorsRoot = r.DescriptorsRoot.ToArray(),
        NodeCount = (uint)r.NodeCount,
        WeightsRoot = r.WeightsRoot.ToArray(),
        WeightCount = (uint)r.WeightCount,
        OutputNode = (uint)r.OutputNode,
        InputSizeLimit = (uint)r.InputSizeLimit,
        OutputSizeLimit = (uint)r.OutputSizeLimit,
        MaxNodeSteps = r.MaxNodeSteps,
    };

    /// <summary>Whether the on-chain <paramref name="m"/> is exactly <paramref name="r"/> (the registrant aside).</summary>
    public static bool Matches(ModelInfo m, RegisteredModel r) =>
        new Hash256(m.ProgramRoot) == r.ProgramRoot && m.EntryPc == r.EntryPc && new Hash256(m.DescriptorsRoot) == r.DescriptorsRoot
        && m.NodeCount == (uint)r.NodeCount && new Hash256(m.WeightsRoot) == r.WeightsRoot && m.WeightCount == (uint)r.WeightCount
        && m.OutputNode == (uint)r.OutputNode && m.InputSizeLimit == (uint)r.InputSizeLimit
        && m.OutputSizeLimit == (uint)r.OutputSizeLimit && m.MaxNodeSteps == r.MaxNodeSteps;

    /// <summary>The lowest id registered exactly as <paramref name="r"/>, or null (scans <c>modelCount</c> / <c>model(i)</c>).</summary>
    public static async Task<BigInteger?> FindAsync(ModelRegistryService registry, RegisteredModel r, CancellationToken ct = default)
    {
        var count = await registry.ModelCountAsync().ConfigureAwait(false);
        for (BigInteger id = 1; id <= count; id++)
        {
            ct.ThrowIfCancellationRequested();
            if (Matches(await registry.GetModelAsync(id).ConfigureAwait(false), r)) return id;
        }
        return null;
    }

    /// <summary>Reuses an identical registration or sends <c>register</c>.</summary>
    public static async Task<ModelRegistrationResult> RegisterAsync(ModelRegistryService registry, RegisteredModel r, CancellationToken ct = default)
    {
        if (await FindAsync(registry, r, ct).ConfigureAwait(false) is { } existing) return new(existing, true, null);
        try
        {
            var mined = await registry.RegisterAsync(ToFunction(r), ct).ConfigureAwait(false);
            return new(mined.Event.ModelId, false, mined.Receipt.TransactionHash);
        }
        catch (ContractRevertException e) when (e.ErrorName.StartsWith("Bad", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"the registry rejects this model: {e.Message}", e);
        }
    }
}
