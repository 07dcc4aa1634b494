using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

/// <summary>Behaviour shared by <see cref="MemColumnsDb"/> and <see cref="RocksColumnsDb"/>: each test runs on both.</summary>
public class KeyValueStoreTests
{
    private static byte[] B(params byte[] bytes) => bytes;

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void PutGetHasDelete(string kind)
    {
        using var t = TestDbs.Create(kind);
        var tasks = t[DbColumn.Tasks];
        Assert.Null(tasks.Get(B(1)));
        Assert.False(tasks.Has(B(1)));
        tasks.Put(B(1), B(10, 11));
        Assert.Equal(B(10, 11), tasks.Get(B(1)));
        Assert.True(tasks.Has(B(1)));
        Assert.False(tasks.Has(B(1, 0)));
        tasks.Delete(B(1));
        Assert.Null(tasks.Get(B(1)));
        Assert.False(tasks.Has(B(1)));
        tasks.Delete(B(1)); // deleting an absent key is fine
        tasks.Delete(B(9));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void OverwriteReplacesTheValue(string kind)
    {
        using var t = TestDbs.Create(kind);
        var games = t[DbColumn.Games];
        games.Put(B(5), B(1, 2, 3, 4));
        games.Put(B(5), B(9));
        Assert.Equal(B(9), games.Get(B(5)));
        Assert.Single(games.Iterate([]));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void EmptyValuesAndEmptyKeysAreStored(string kind)
    {
        using var t = TestDbs.Create(kind);
        var results = t[DbColumn.Results];
        results.Put(B(7), []);
        Assert.True(results.Has(B(7)));
        var value = results.Get(B(7));
        Assert.NotNull(value);
        Assert.Empty(value);
        Assert.True(results.TryGet(B(7), [], out int length));
        Assert.Equal(0, length);

        Assert.False(results.Has([]));
        Assert.False(results.TryGet([], new byte[1], out _));
        results.Put([], B(42));
        Assert.Equal(B(42), results.Get([]));
        Assert.True(results.Has([]));
        var one = new byte[1];
        Assert.True(results.TryGet([], one, out length));
        Assert.Equal((1, (byte)42), (length, one[0]));
        var all = results.Iterate([]).ToList();
        Assert.Equal(2, all.Count);
        Assert.Empty(all[0].Key); // the empty key sorts first
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void LargeValuesRoundTrip(string kind)
    {
        using var t = TestDbs.Create(kind);
        var big = new byte[1 << 20];
        new Random(1).NextBytes(big);
        t[DbColumn.VmCheckpoints].Put(Keys.U64(3), big);
        Assert.Equal(big, t[DbColumn.VmCheckpoints].Get(Keys.U64(3)));
        var buffer = new byte[(1 << 20) + 5];
        Assert.True(t[DbColumn.VmCheckpoints].TryGet(Keys.U64(3), buffer, out int length));
        Assert.Equal(1 << 20, length);
        Assert.True(buffer.AsSpan(0, length).SequenceEqual(big));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void TryGetIntoACallerBuffer(string kind)
    {
        using var t = TestDbs.Create(kind);
        var cursor = t[DbColumn.Cursor];
        Span<byte> buffer = stackalloc byte[8];
        Assert.False(cursor.TryGet(B(0), buffer, out _));
        cursor.Put(B(0), Keys.U64(123456));
        Assert.True(cursor.TryGet(B(0), buffer, out int length));
        Assert.Equal(8, length);
        Assert.Equal(123456UL, Keys.ReadU64(buffer));
        var ex = Assert.Throws<ArgumentException>(() => cursor.TryGet(B(0), new byte[4], out _));
        Assert.Contains("8 bytes", ex.Message);
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void ReturnedAndStoredArraysAreCopies(string kind)
    {
        using var t = TestDbs.Create(kind);
        var tasks = t[DbColumn.Tasks];
        var key = B(1);
        var value = B(2, 3);
        tasks.Put(key, value);
        key[0] = 9;
        value[0] = 9;
        var read = tasks.Get(B(1))!;
        Assert.Equal(B(2, 3), read);
        read[0] = 7;
        Assert.Equal(B(2, 3), tasks.Get(B(1)));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void ColumnsAreIsolated(string kind)
    {
        using var t = TestDbs.Create(kind);
        foreach (var column in DbNames.All)
            t[column].Put(B(0xAB), new[] { (byte)column });
        foreach (var column in DbNames.All)
        {
            Assert.Equal(new[] { (byte)column }, t[column].Get(B(0xAB)));
            int expected = column == DbColumn.Metadata ? 2 : 1; // Metadata also holds the schema version
            Assert.Equal(expected, t[column].Iterate([]).Count());
        }
        t[DbColumn.Tasks].Delete(B(0xAB));
        Assert.False(t[DbColumn.Tasks].Has(B(0xAB)));
        Assert.True(t[DbColumn.Results].Has(B(0xAB)));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void GetColumnReturnsTheSameColumn(string kind)
    {
        using var t = TestDbs.Create(kind);
        t.Db.GetColumn(DbColumn.Games).Put(B(1), B(2));
        Assert.Equal(B(2), t.Db.GetColumn(DbColumn.Games).Get(B(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Db.GetColumn((DbColumn)99));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void ANewDatabaseRecordsTheSchemaVersion(string kind)
    {
        using var t = TestDbs.Create(kind);
        Assert.Equal(DbSchema.EncodeVersion(DbSchema.CurrentVersion), t[DbColumn.Metadata].Get(DbSchema.VersionKey));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void UseAfterDisposeThrows(string kind)
    {
        var t = TestDbs.Create(kind);
        var tasks = t[DbColumn.Tasks];
        var batch = t.Db.StartWriteBatch();
        t.Db.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tasks.Get(B(1)));
        Assert.Throws<ObjectDisposedException>(() => tasks.Put(B(1), B(1)));
        Assert.Throws<ObjectDisposedException>(() => tasks.Iterate([]).ToList());
        Assert.Throws<ObjectDisposedException>(() => t.Db.GetColumn(DbColumn.Tasks));
        Assert.Throws<ObjectDisposedException>(() => t.Db.StartWriteBatch());
        Assert.Throws<ObjectDisposedException>(() => batch.Put(DbColumn.Tasks, B(1), B(1)));
        t.Db.Dispose(); // twice is fine
        t.Dispose();
    }

    /// <summary>Dispose racing readers, writers and iterations: they finish or get ObjectDisposedException, nothing else.</summary>
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public async Task DisposeWhileInUseIsSafe(string kind)
    {
        var t = TestDbs.Create(kind);
        for (ulong i = 0; i < 200; i++) t[DbColumn.Games].Put(Keys.U64(i), new byte[100]);
        var games = t[DbColumn.Games];
        long operations = 0;
        var workers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            var buffer = new byte[100];
            for (ulong i = 0; ; i++)
            {
                try
                {
                    switch (w)
                    {
                        case 0: games.Put(Keys.U64(i % 200), buffer); break;
                        case 1: games.TryGet(Keys.U64(i % 200), buffer, out _); games.Has(Keys.U64(i % 300)); break;
                        default: foreach (var kv in games.Iterate([])) Assert.Equal(8, kv.Key.Length); break;
                    }
                    Interlocked.Increment(ref operations);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        })).ToArray();
        while (Interlocked.Read(ref operations) < 300) await Task.Delay(1);
        t.Db.Dispose();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(1));
        if (t.Directory is not null)
        {
            using var again = RocksColumnsDb.Open(new StorageOptions { Path = t.Directory }); // closed once the last call left
            Assert.Equal(200, again.GetColumn(DbColumn.Games).Iterate([]).Count());
        }
        t.Dispose();
    }

    // ---- batches ----

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void ABatchNotCommittedLeavesNothing(string kind)
    {
        using var t = TestDbs.Create(kind);
        t[DbColumn.Tasks].Put(B(1), B(1));
        using (var batch = t.Db.StartWriteBatch())
        {
            batch.Put(DbColumn.Tasks, B(2), B(2));
            batch.Put(DbColumn.Results, B(2), B(2));
            batch.Delete(DbColumn.Tasks, B(1));
            Assert.Equal(3, batch.Count);
            Assert.False(t[DbColumn.Tasks].Has(B(2))); // not visible before commit
            Assert.True(t[DbColumn.Tasks].Has(B(1)));
        }
        Assert.False(t[DbColumn.Tasks].Has(B(2)));
        Assert.False(t[DbColumn.Results].Has(B(2)));
        Assert.True(t[DbColumn.Tasks].Has(B(1)));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void ACommittedBatchAppliesEveryColumnInOrder(string kind)
    {
        using var t = TestDbs.Create(kind);
        t[DbColumn.PendingTransactions].Put(B(9), B(9));
        using var batch = t.Db.StartWriteBatch();
        batch.Put(DbColumn.Tasks, B(1), B(10));
        batch.Put(DbColumn.Games, B(1), B(11));
        batch.Column(DbColumn.SlotRoots).Put(Keys.U64U64(1, 0), B(12));
        batch.Delete(DbColumn.PendingTransactions, B(9));
        batch.Put(DbColumn.Results, B(3), B(1)); // put then delete: gone
        batch.Delete(DbColumn.Results, B(3));
        batch.Delete(DbColumn.Results, B(4)); // delete then put: present
        batch.Put(DbColumn.Results, B(4), B(2));
        batch.Put(DbColumn.Results, B(5), B(1)); // two puts: the last wins
        batch.Put(DbColumn.Results, B(5), B(2));
        batch.Commit();

        Assert.Equal(B(10), t[DbColumn.Tasks].Get(B(1)));
        Assert.Equal(B(11), t[DbColumn.Games].Get(B(1)));
        Assert.Equal(B(12), t[DbColumn.SlotRoots].Get(Keys.U64U64(1, 0)));
        Assert.False(t[DbColumn.PendingTransactions].Has(B(9)));
        Assert.False(t[DbColumn.Results].Has(B(3)));
        Assert.Equal(B(2), t[DbColumn.Results].Get(B(4)));
        Assert.Equal(B(2), t[DbColumn.Results].Get(B(5)));

        Assert.Throws<InvalidOperationException>(() => batch.Put(DbColumn.Tasks, B(1), B(1)));
        Assert.Throws<InvalidOperationException>(batch.Commit);
        using var empty = t.Db.StartWriteBatch();
        empty.Commit(); // an empty batch is a no-op
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void BatchValuesAreCopiedWhenQueued(string kind)
    {
        using var t = TestDbs.Create(kind);
        var value = B(1, 2);
        using var batch = t.Db.StartWriteBatch();
        batch.Put(DbColumn.Tasks, B(1), value);
        value[0] = 99;
        batch.Commit();
        Assert.Equal(B(1, 2), t[DbColumn.Tasks].Get(B(1)));
    }

    /// <summary>
    /// A reader racing the commits must never see the first column of a batch without the last: each batch writes
    /// Tasks, then Games, then Results, and the reader watches the key being committed, checking Tasks before Results,
    /// so a commit applied column by column would show up as a torn read.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public async Task ACommittedBatchBecomesVisibleInAllColumnsAtOnce(string kind)
    {
        using var t = TestDbs.Create(kind);
        const int batches = 3000;
        long current = 0, torn = 0, reads = 0;
        using var started = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            started.Set();
            while (!done.IsSet)
            {
                var key = Keys.U64((ulong)Volatile.Read(ref current));
                if (t[DbColumn.Tasks].Has(key) && !t[DbColumn.Results].Has(key)) Interlocked.Increment(ref torn);
                reads++;
            }
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        for (long i = 0; i < batches; i++)
        {
            Volatile.Write(ref current, i);
            using var batch = t.Db.StartWriteBatch();
            batch.Put(DbColumn.Tasks, Keys.U64((ulong)i), new byte[64]);
            batch.Put(DbColumn.Games, Keys.U64((ulong)i), new byte[64]);
            batch.Put(DbColumn.Results, Keys.U64((ulong)i), new byte[64]);
            batch.Commit();
        }
        done.Set();
        await reader.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(0, torn);
        Assert.True(reads > 0);
        Assert.Equal(batches, t[DbColumn.Results].Iterate([]).Count());
    }

    // ---- iteration ----

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void PrefixIterationIsOrderedAndBounded(string kind)
    {
        using var t = TestDbs.Create(kind);
        var col = t[DbColumn.Games];
        byte[][] keys =
        [
            B(0x01), B(0x01, 0x01, 0xFF), B(0x01, 0x02), B(0x01, 0x02, 0x00), B(0x01, 0x02, 0xFF, 0xFF), B(0x01, 0x02, 0x7F),
            B(0x01, 0x03), B(0x01, 0xFE, 0xFF), B(0x01, 0xFF), B(0x01, 0xFF, 0x00), B(0x01, 0xFF, 0xFF), B(0x02),
            B(0xFF), B(0xFE, 0xFF), B(0xFF, 0xFF), B(0xFF, 0xFF, 0x00), B(0xFF, 0xFF, 0xFF), B(0xFF, 0xFE, 0xFF), B(0x00),
        ];
        foreach (var k in keys.Reverse()) col.Put(k, k);

        Assert.Equal(["0102", "010200", "01027F", "0102FFFF"], HexKeys(col.Iterate(B(0x01, 0x02))));
        Assert.Equal(["01FF", "01FF00", "01FFFF"], HexKeys(col.Iterate(B(0x01, 0xFF)))); // successor 02 excluded
        Assert.Equal(["FF", "FFFEFF", "FFFF", "FFFF00", "FFFFFF"], HexKeys(col.Iterate(B(0xFF))));
        Assert.Equal(["FFFF", "FFFF00", "FFFFFF"], HexKeys(col.Iterate(B(0xFF, 0xFF)))); // no successor: to the end
        Assert.Empty(col.Iterate(B(0x01, 0x04)));
        Assert.Empty(col.Iterate(B(0xFF, 0xFF, 0xFF, 0xFF)));
        Assert.Equal(keys.Length, col.Iterate([]).Count());
        Assert.All(col.Iterate(B(0x01, 0x02)), kv => Assert.Equal(kv.Key, kv.Value));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void RandomKeysIterateLikeAReferenceSort(string kind)
    {
        using var t = TestDbs.Create(kind);
        var col = t[DbColumn.Tasks];
        var rng = new Random(7);
        byte[] alphabet = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
        var keys = new Dictionary<string, byte[]>();
        for (int i = 0; i < 600; i++)
        {
            var k = new byte[rng.Next(0, 5)];
            for (int j = 0; j < k.Length; j++) k[j] = alphabet[rng.Next(alphabet.Length)];
            keys[RefOrder.Hex(k)] = k;
        }
        foreach (var k in keys.Values) col.Put(k, k);

        var sorted = keys.Values.ToList();
        sorted.Sort(RefOrder.Compare);
        byte[][] prefixes = [[], B(0x00), B(0xFF), B(0xFF, 0xFF), B(0x7F, 0xFF), B(0x80), B(0xFE, 0xFF, 0xFF), B(0x01, 0x00)];
        foreach (var prefix in prefixes)
        {
            var expected = sorted.Where(k => RefOrder.StartsWith(k, prefix)).Select(RefOrder.Hex).ToList();
            Assert.Equal(expected, HexKeys(col.Iterate(prefix)));
        }
        (byte[] Start, byte[] End)[] ranges = [([], []), (B(0x01), B(0x80)), (B(0x7F, 0xFF), B(0xFF)), (B(0x80), B(0x7F)), (B(0xFE), []), (B(0x01), B(0x01))];
        foreach (var (start, end) in ranges)
        {
            var expected = sorted.Where(k => RefOrder.Compare(k, start) >= 0 && (end.Length == 0 || RefOrder.Compare(k, end) < 0)).Select(RefOrder.Hex).ToList();
            Assert.Equal(expected, HexKeys(col.IterateRange(start, end)));
        }
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void BigEndianKeysIterateInNumericOrder(string kind)
    {
        using var t = TestDbs.Create(kind);
        var slots = t[DbColumn.SlotRoots];
        var rng = new Random(3);
        var numbers = Enumerable.Range(0, 300).Select(_ => (ulong)rng.NextInt64() * (ulong)rng.Next(1, 3)).Append(0UL).Append(ulong.MaxValue).Append(255UL).Append(256UL).Distinct().ToList();
        foreach (var n in numbers) t[DbColumn.Cursor].Put(Keys.U64(n), []);
        Assert.Equal(numbers.Order().ToList(), t[DbColumn.Cursor].Iterate([]).Select(kv => Keys.ReadU64(kv.Key)).ToList());

        // (task, slot): one task's prefix yields exactly its slots, in slot order, also for the largest task id.
        foreach (ulong task in new ulong[] { 1, 2, 256, ulong.MaxValue })
        {
            foreach (ulong slot in new ulong[] { 300, 2, 0, 1 << 20, ulong.MaxValue, 255, 256 })
                slots.Put(Keys.U64U64(task, slot), Keys.U64(task ^ slot));
        }
        foreach (ulong task in new ulong[] { 2, ulong.MaxValue })
        {
            var got = slots.Iterate(Keys.U64(task)).Select(kv => (Keys.ReadU64(kv.Key), Keys.ReadU64(kv.Key, 8), Keys.ReadU64(kv.Value))).ToList();
            Assert.Equal(new ulong[] { 0, 2, 255, 256, 300, 1 << 20, ulong.MaxValue }.Select(s => (task, s, task ^ s)).ToList(), got);
        }
        Assert.Empty(slots.Iterate(Keys.U64(3)));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void IterationIsASnapshotFromTheFirstMoveNext(string kind)
    {
        using var t = TestDbs.Create(kind);
        var col = t[DbColumn.PendingTransactions];
        for (ulong i = 0; i < 10; i++) col.Put(Keys.U64(i), B(1));
        var seen = new List<ulong>();
        var sequence = col.Iterate([]);
        col.Put(Keys.U64(10), B(1)); // before the first MoveNext: seen
        foreach (var kv in sequence)
        {
            ulong n = Keys.ReadU64(kv.Key);
            seen.Add(n);
            if (n == 3)
            {
                col.Put(Keys.U64(20), B(1)); // during: not seen
                col.Delete(Keys.U64(8)); // during: still seen
            }
        }
        Assert.Equal(new ulong[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, seen);
        Assert.Equal(11, col.Iterate([]).Count()); // 0..10 + 20 − 8
    }

    private static List<string> HexKeys(IEnumerable<KeyValuePair<byte[], byte[]>> entries) => entries.Select(kv => RefOrder.Hex(kv.Key)).ToList();

    /// <summary>A prefixed view sees only its own keys, without the prefix, and bounds its ranges by the prefix.</summary>
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void APrefixedViewSeesOnlyItsOwnKeys(string kind)
    {
        using var t = TestDbs.Create(kind);
        var column = t[DbColumn.MerkleNodes];
        var (a, ff) = (new KeyPrefixedStore(column, B(0, 1)), new KeyPrefixedStore(column, B(0xFF)));
        column.Put(B(0, 0, 9), B(1));
        column.Put(B(0, 2), B(2));
        a.Put(B(5), B(50));
        a.Put(B(6, 7), B(60));
        ff.Put(B(1), B(70));
        KeyPrefixedStore.Writer(column, B(0, 1)).Put(B(8), B(80));
        Assert.Equal(B(0, 1, 5), column.Iterate(B(0, 1)).First().Key);
        Assert.Equal(B(50), a.Get(B(5)));
        Assert.True(a.Has(B(8)));
        Assert.False(a.Has(B(0, 2)));
        Assert.Equal(new[] { B(5), B(6, 7), B(8) }, a.Iterate([]).Select(kv => kv.Key));
        Assert.Equal(new[] { B(6, 7) }, a.Iterate(B(6)).Select(kv => kv.Key));
        Assert.Equal(new[] { B(6, 7), B(8) }, a.IterateRange(B(6), []).Select(kv => kv.Key)); // to the prefix's end, not the column's
        Assert.Equal(new[] { B(5) }, a.IterateRange([], B(6)).Select(kv => kv.Key));
        Assert.Equal(new[] { B(1) }, ff.IterateRange([], []).Select(kv => kv.Key)); // an all-0xFF prefix runs to the column's end
        var buffer = new byte[4];
        Assert.True(a.TryGet(B(6, 7), buffer, out int n) && n == 1 && buffer[0] == 60);
        a.Delete(B(5));
        Assert.Null(column.Get(B(0, 1, 5)));
        Assert.Equal(B(1), column.Get(B(0, 0, 9)));
    }
}
