namespace OpmlNode.Hosting;

/// <summary>
/// Settings of <c>opml-node run</c> (section <c>OpmlNode:Node</c> of appsettings.json, environment
/// <c>OPML_OpmlNode__Node__…</c>, then the verb's options). The key is never a setting here: only where to read it.
/// </summary>
public sealed class NodeRunOptions
{
    public const string Section = "OpmlNode:Node";

    /// <summary>JSON-RPC endpoint (http/https).</summary>
    public string? RpcUrl { get; set; }

    /// <summary>Fallback endpoints of the same chain, tried in order while the primary fails (the genesis check of every watcher tick and signature covers whichever endpoint answers).</summary>
    public List<string> FallbackRpcUrls { get; set; } = [];

    /// <summary>The primary endpoint, then the fallbacks.</summary>
    public IReadOnlyList<string> RpcUrls => [.. new[] { RpcUrl! }.Concat(FallbackRpcUrls)];

    /// <summary>File whose first line is the hex private key; or <see cref="KeyEnv"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Environment variable holding the hex private key (default OPML_KEY).</summary>
    public string? KeyEnv { get; set; } = "OPML_KEY";

    /// <summary>The deployment file written by <c>opml-node deploy</c>.</summary>
    public string Deployment { get; set; } = "deployment.json";

    /// <summary>The node's RocksDB directory (one per node).</summary>
    public string DataDir { get; set; } = "opml-data";

    /// <summary>Answer requests for the served models with a bonded result.</summary>
    public bool Submitter { get; set; }

    /// <summary>Re-execute every result of a served model and challenge a wrong one.</summary>
    public bool Verifier { get; set; }

    /// <summary>The models this node serves and verifies: registered model id → its .opml file.</summary>
    public List<ServedModel> Models { get; set; } = [];

    /// <summary>Blocks a log must be buried under before the node acts on it.</summary>
    public int Confirmations { get; set; }

    public int PollMilliseconds { get; set; } = 250;

    /// <summary>Seconds a game move is sent before the mover's deadline at the latest (the node moves at once; this is the alarm).</summary>
    public int ClockMarginSeconds { get; set; } = 5;

    /// <summary>The most this node pays per gas, in gwei (EIP-1559 max fee, or legacy gas price): it never signs above
    /// it, and logs an error when the chain asks more. Null: no cap.</summary>
    public double? MaxFeeGwei { get; set; }

    /// <summary>Seconds a transaction may stay unmined before the node signs a same-nonce replacement with higher fees.</summary>
    public int ReplaceAfterSeconds { get; set; } = 15;

    /// <summary>Measurement only (--legacy-fees, hidden): sign as the node did before EIP-1559 support, one legacy price at
    /// eth_gasPrice and never a replacement, to measure that sender against this one (docs/PROTOCOL.md §6).</summary>
    public bool LegacyFeesBaseline { get; set; }

    /// <summary>Native backend for inference: cpu | ilgpu | scalar.</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>
    /// Passes between the native graph checkpoints a task's trace stores (each holds what a pass reads from earlier ones:
    /// KV caches, the token buffer). 1 rebuilds any slot's inputs by running one pass at most; a large model with big
    /// caches trades disk for re-run passes with a larger interval.
    /// </summary>
    public int CheckpointEveryPasses { get; set; } = Dispute.GraphTrace.DefaultCheckpointInterval;

    /// <summary>
    /// Applied block ranges the watcher keeps undo entries for: a reorganisation replacing more of them is not undone. A
    /// final task's traces are deleted once the range that finalised it leaves this window.
    /// </summary>
    public int UndoRanges { get; set; } = 256;

    /// <summary>Also write the JSON log lines to this file.</summary>
    public string? LogFile { get; set; }

    /// <summary>TCP port of the Prometheus endpoint (/metrics, /healthz, /readyz); 0 (the default): off.</summary>
    public int MetricsPort { get; set; }

    /// <summary>Host the metrics endpoint listens on: localhost (default) or * for every interface (in a container).</summary>
    public string MetricsHost { get; set; } = "localhost";

    /// <summary>Log line format on stdout: json (default, one compact JSON object per line) or text (for people).</summary>
    public string LogFormat { get; set; } = "json";

    public FaultOptions Faults { get; set; } = new();
}

public sealed class ServedModel
{
    public ulong ModelId { get; set; }
    public string File { get; set; } = "";
}

/// <summary>Fault injection for tests and demos: a node that lies (never set in production).</summary>
public sealed class FaultOptions
{
    /// <summary>As submitter: the first wrong slot ("random" draws one from the seed, which is logged).</summary>
    public string? LieSlot { get; set; }

    /// <summary>As submitter: G:I, slot G wrong and the VM trace wrong from step I (a number, first|middle|last|store|trap).</summary>
    public string? LieStep { get; set; }

    /// <summary>As verifier: challenge correct results too (believing the output slot wrong).</summary>
    public bool ChallengeCorrect { get; set; }

    /// <summary>Stop making game moves after this many (then the clock decides).</summary>
    public int? SilentAfterMove { get; set; }

    public int Seed { get; set; } = 1;

    /// <summary>Stop the chain watcher's loop (hang, not crash) after this many ticks: tests the systemd watchdog.</summary>
    public int? HangAfterTicks { get; set; }

    /// <summary>Test-only: SIGKILL the process at this point (<see cref="Faults.CrashPoint"/>).</summary>
    public string? CrashAt { get; set; }

    public bool Any => LieSlot is not null || LieStep is not null || ChallengeCorrect || SilentAfterMove is not null || HangAfterTicks is not null || CrashAt is not null;
}
