namespace OpmlNode.Storage;

/// <summary>What went wrong with the node's database, so a caller can react without parsing the message.</summary>
public enum StorageErrorKind
{
    /// <summary><see cref="StorageOptions"/> failed validation.</summary>
    InvalidOptions,

    /// <summary>The database path names an existing file, not a directory.</summary>
    PathIsFile,

    /// <summary>The directory cannot be created or written.</summary>
    NotWritable,

    /// <summary>Another process (normally another opml-node), or another handle in this process, holds the database's LOCK.</summary>
    Locked,

    /// <summary>The files are damaged or not an opml-node database.</summary>
    Corrupted,

    /// <summary>The database was written by a different schema version.</summary>
    SchemaMismatch,

    /// <summary>Any other failure of the storage engine.</summary>
    Io,
}

/// <summary>A storage failure with a plain message saying what is wrong and, where known, what to do.</summary>
public sealed class StorageException : Exception
{
    public StorageException(StorageErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public StorageErrorKind Kind { get; }
}
