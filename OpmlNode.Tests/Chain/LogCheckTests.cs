using System.Globalization;
using System.Reflection;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// <see cref="LogCheck{T}"/> over every event the contracts emit: a log of the event's exact shape (built here from
/// the binding's parameter attributes, not from the checker's ABI reading) is believed; one word or byte off, a topic
/// missing or extra, another contract, another event, outside the range or removed is not.
/// </summary>
public sealed class LogCheckTests
{
    private const string Contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    public static TheoryData<string> Events() =>
        [.. typeof(TaskClient).Assembly.GetTypes().Where(t => typeof(IEventDTO).IsAssignableFrom(t) && t.GetCustomAttribute<EventAttribute>() is not null).Select(t => t.FullName!)];

    [Fact]
    public void EveryContractEventIsCovered() => Assert.True(Events().Count >= 10, $"only {Events().Count} events found");

    [Theory]
    [MemberData(nameof(Events))]
    public void ALogOfTheEventsExactShapeIsBelievedAndAnyOtherIsNot(string eventType)
    {
        var t = typeof(TaskClient).Assembly.GetType(eventType)!;
        typeof(LogCheckTests).GetMethod(nameof(Run), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t).Invoke(null, null);
    }

    private static void Run<T>() where T : IEventDTO, new()
    {
        var ps = typeof(T).GetProperties().Select(p => p.GetCustomAttribute<ParameterAttribute>()).OfType<ParameterAttribute>().OrderBy(p => p.Order).ToList();
        Assert.DoesNotContain(ps, p => p.Type.StartsWith("tuple", StringComparison.Ordinal)); // the builder below knows no tuples
        static bool Dynamic(string type) => type is "bytes" or "string" || type.EndsWith("[]", StringComparison.Ordinal);
        var data = ps.Where(p => !p.Parameter.Indexed).ToList();
        string Word(long v) => v.ToString("x64", CultureInfo.InvariantCulture);
        // Head: a static value (zero) or the offset of a dynamic one; tail: each dynamic value empty (a zero length).
        var head = new List<string>();
        int tails = 0;
        foreach (var p in data) head.Add(Dynamic(p.Type) ? Word(32L * data.Count + 32L * tails++) : Word(0));
        var good = "0x" + string.Concat(head) + string.Concat(Enumerable.Repeat(Word(0), tails));
        var signature = "0x" + Nethereum.Util.Sha3Keccack.Current.CalculateHash(
            $"{typeof(T).GetCustomAttribute<EventAttribute>()!.Name}({string.Join(',', ps.Select(p => p.Type))})");
        var topics = new object[] { signature }.Concat(ps.Where(p => p.Parameter.Indexed).Select(_ => "0x" + Word(0))).ToArray();
        FilterLog Log(string d, object[] tp, string address = Contract, ulong block = 5, bool removed = false) => new()
        {
            Address = address,
            Data = d,
            Topics = tp,
            BlockNumber = new HexBigInteger(block),
            Removed = removed,
            LogIndex = new HexBigInteger(0),
            TransactionHash = "0x" + Word(1),
        };
        var check = new LogCheck<T>(Contract);
        Assert.Null(check.Check(Log(good, topics), 5, 5, out var e));
        Assert.NotNull(e);
        Assert.Null(check.Check(Log(good.ToUpperInvariant().Replace("0X", "0x"), topics, Contract.ToLowerInvariant()), 0, 9, out _));

        Assert.Equal("undecodable", check.Check(Log(good + "01", topics), 5, 5, out _));
        Assert.Equal("undecodable", check.Check(Log(good[..^2], topics), 5, 5, out _));
        if (tails == 0)
        {
            Assert.Equal("undecodable", check.Check(Log(good + Word(0), topics), 5, 5, out _));
            if (data.Count > 0) Assert.Equal("undecodable", check.Check(Log(good[..^64], topics), 5, 5, out _));
        }
        else Assert.Equal("undecodable", check.Check(Log("0x" + string.Concat(head)[64..], topics), 5, 5, out _));
        Assert.Equal("undecodable", check.Check(Log(good, [.. topics, "0x" + Word(0)]), 5, 5, out _));
        if (topics.Length > 1) Assert.Equal("undecodable", check.Check(Log(good, topics[..^1]), 5, 5, out _));
        Assert.Equal("undecodable", check.Check(Log("", topics), 5, 5, out _));

        Assert.Equal("not-matching", check.Check(Log(good, topics, "0x000000000000000000000000000000000000dEaD"), 5, 5, out _));
        Assert.Equal("not-matching", check.Check(Log(good, ["0x" + Word(7), .. topics[1..]]), 5, 5, out _));
        Assert.Equal("not-matching", check.Check(Log(good, []), 5, 5, out _));
        Assert.Equal("not-matching", check.Check(Log(good, topics, block: 4), 5, 9, out _));
        Assert.Equal("not-matching", check.Check(Log(good, topics, block: 10), 5, 9, out _));
        Assert.Equal("not-matching", check.Check(Log(good, topics, removed: true), 5, 5, out _));
    }
}
