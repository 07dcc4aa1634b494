namespace OpmlNode.Storage;

/// <summary>
/// A view of one column in which every key carries <paramref name="prefix"/> (hidden from the caller): it scopes data
/// that is addressed by content, such as Merkle nodes, to an owner that can later delete all of it with one prefix.
/// </summary>
public sealed class KeyPrefixedStore(IKeyValueStore inner, byte[] prefix) : IKeyValueStore
{
    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(Key(prefix, key));
    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int length) => inner.TryGet(Key(prefix, key), destination, out length);
    public bool Has(ReadOnlySpan<byte> key) => inner.Has(Key(prefix, key));
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => inner.Put(Key(prefix, key), value);
    public void Delete(ReadOnlySpan<byte> key) => inner.Delete(Key(prefix, key));

    public IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(ReadOnlySpan<byte> subPrefix) => Strip(inner.Iterate(Key(prefix, subPrefix)));

    public IEnumerable<KeyValuePair<byte[], byte[]>> IterateRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) =>
        Strip(end.IsEmpty ? inner.IterateRange(Key(prefix, start), PrefixEnd(prefix)) : inner.IterateRange(Key(prefix, start), Key(prefix, end)));

    /// <summary>The same prefix applied to a batch's column (or any writer).</summary>
    public static IKeyValueWriter Writer(IKeyValueWriter inner, byte[] prefix) => new PrefixedWriter(inner, prefix);

    private IEnumerable<KeyValuePair<byte[], byte[]>> Strip(IEnumerable<KeyValuePair<byte[], byte[]>> entries) =>
        entries.Select(kv => new KeyValuePair<byte[], byte[]>(kv.Key[prefix.Length..], kv.Value));

    private static byte[] Key(byte[] prefix, ReadOnlySpan<byte> key)
    {
        var k = new byte[prefix.Length + key.Length];
        prefix.CopyTo(k, 0);
        key.CopyTo(k.AsSpan(prefix.Length));
        return k;
    }

    /// <summary>The smallest key after every key that starts with <paramref name="p"/> (empty: no bound, p all 0xFF).</summary>
    private static byte[] PrefixEnd(byte[] p)
    {
        var e = (byte[])p.Clone();
        for (int i = e.Length - 1; i >= 0; i--)
            if (e[i] != 0xFF) { e[i]++; return e[..(i + 1)]; }
        return [];
    }

    private sealed class PrefixedWriter(IKeyValueWriter inner, byte[] prefix) : IKeyValueWriter
    {
        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => inner.Put(Key(prefix, key), value);
        public void Delete(ReadOnlySpan<byte> key) => inner.Delete(Key(prefix, key));
    }
}
