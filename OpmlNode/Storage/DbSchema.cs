using System.Buffers.Binary;

namespace OpmlNode.Storage;

/// <summary>The on-disk schema version, kept in <see cref="DbColumn.Metadata"/>.</summary>
public static class DbSchema
{
    /// <summary>Bump when the layout of any column changes incompatibly (and write a migration, or refuse old data).</summary>
    public const uint CurrentVersion = 3;

    /// <summary>
    /// Columns of derived data: a task's traces, recomputed from the task on chain and the model whenever they are
    /// missing. A migration may drop them; every other column is the node's memory of the chain and its own actions.
    /// </summary>
    public static IReadOnlyList<DbColumn> TraceColumns { get; } = [DbColumn.SlotRoots, DbColumn.MerkleNodes, DbColumn.VmCheckpoints];

    /// <summary>Key of the version in <see cref="DbColumn.Metadata"/>; the value is the version as 4 big-endian bytes.</summary>
    public static ReadOnlySpan<byte> VersionKey => "schema_version"u8;

    public static byte[] EncodeVersion(uint version)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, version);
        return bytes;
    }

    /// <summary>
    /// Checks the version of an opened database, writing <see cref="CurrentVersion"/> into a database that holds no data
    /// yet. Throws <see cref="StorageException"/> when the stored version differs, is malformed, or is missing from a
    /// database that already has data.
    /// </summary>
    internal static void CheckOrInitialise(IColumnsDb<DbColumn> db, string where)
    {
        var metadata = db.GetColumn(DbColumn.Metadata);
        var stored = metadata.Get(VersionKey);
        if (stored is null)
        {
            foreach (var column in DbNames.All)
            {
                using var e = db.GetColumn(column).Iterate([]).GetEnumerator();
                if (e.MoveNext())
                    throw new StorageException(StorageErrorKind.Corrupted,
                        $"the database at {where} has data (column '{DbNames.Of(column)}') but no schema version: it was not written by opml-node, or is damaged; refusing to open it");
            }
            metadata.Put(VersionKey, EncodeVersion(CurrentVersion));
            return;
        }
        if (stored.Length != 4)
            throw new StorageException(StorageErrorKind.Corrupted,
                $"the database at {where} has a malformed schema version ({stored.Length} bytes, expected 4): it is damaged or not an opml-node database; refusing to open it");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(stored);
        if (version is 1 or 2)
        {
            // v1 → v2: Merkle nodes and VM pages became scoped to their task (so a settled task's traces can be deleted).
            // v2 → v3: a VM checkpoint lists only the pages changed since the previous one.
            // Old traces cannot be read in the new layout; they are derived data, so they are dropped and recomputed.
            using var b = db.StartWriteBatch();
            foreach (var column in TraceColumns)
                foreach (var kv in db.GetColumn(column).Iterate([])) b.Delete(column, kv.Key);
            b.Put(DbColumn.Metadata, VersionKey, EncodeVersion(CurrentVersion));
            b.Commit();
            return;
        }
        if (version != CurrentVersion)
            throw new StorageException(StorageErrorKind.SchemaMismatch,
                $"the database at {where} has schema version {version} but this opml-node uses version {CurrentVersion}; refusing to open it (use the opml-node release that wrote it, or a fresh directory)");
    }
}
