using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain;

/// <summary>
/// Whether a log from <c>eth_getLogs</c> is an event of <typeparamref name="T"/> from <c>address</c> in
/// <c>[from, to]</c>, with the shape the ABI fixes, before it is decoded. A provider's answer is input from outside,
/// and a decoder reads a short or padded word without complaint, so the shape is checked first: one topic per indexed
/// parameter, and data of exactly the head size when every other parameter is static (at least the head otherwise).
/// </summary>
public sealed class LogCheck<T> where T : IEventDTO, new()
{
    private readonly string _address;
    private readonly string _topic;
    private readonly int _topics;
    private readonly bool _dynamic;
    private readonly int _headBytes;

    public LogCheck(string address)
    {
        _address = address;
        var abi = ABITypedRegistry.GetEvent<T>();
        _topic = "0x" + abi.Sha3Signature;
        var data = abi.InputParameters.Where(p => !p.Indexed).ToList();
        _topics = 1 + abi.InputParameters.Count(p => p.Indexed);
        _dynamic = data.Any(p => p.ABIType.IsDynamic());
        _headBytes = data.Sum(p => p.ABIType.IsDynamic() ? 32 : p.ABIType.FixedSize); // a dynamic field's head is its offset word
    }

    /// <summary>Why the log is not believed (<c>not-matching</c>: another contract, event or range, or removed;
    /// <c>undecodable</c>: not the event's shape or data), or null with the decoded event.</summary>
    public string? Check(FilterLog log, ulong from, ulong to, out EventLog<T>? decoded)
    {
        decoded = null;
        if (!string.Equals(log.Address, _address, StringComparison.OrdinalIgnoreCase) || log.Topics is not { Length: > 0 } ||
            !string.Equals(log.Topics[0]?.ToString(), _topic, StringComparison.OrdinalIgnoreCase) ||
            log.BlockNumber is null || log.BlockNumber.Value < from || log.BlockNumber.Value > to || log.Removed)
            return "not-matching";
        if (log.Topics.Length != _topics || log.Data is not { Length: >= 2 } data || !data.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ||
            (data.Length - 2) % 64 != 0 || (_dynamic ? (data.Length - 2) / 2 < _headBytes : (data.Length - 2) / 2 != _headBytes))
            return "undecodable";
        try { decoded = log.DecodeEvent<T>(); }
        catch (Exception x) when (x is not OperationCanceledException) { return "undecodable"; }
        return decoded is null || Equals(decoded.Event, default(T)) ? "undecodable" : null;
    }

    /// <summary>The logs of <paramref name="filter"/> (made for this event and contract) that pass the check, in order;
    /// the others are dropped (the watcher logs and counts them; a reader of one event needs only the good ones).</summary>
    public async Task<List<EventLog<T>>> BelievedAsync(IWeb3 web3, NewFilterInput filter)
    {
        var logs = await web3.Eth.Filters.GetLogs.SendRequestAsync(filter).ConfigureAwait(false) ?? [];
        var believed = new List<EventLog<T>>(logs.Length);
        foreach (var l in logs)
            if (Check(l, 0, ulong.MaxValue, out var e) is null) believed.Add(e!);
        return believed;
    }
}
