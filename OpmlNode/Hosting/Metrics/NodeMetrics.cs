using System.Numerics;
using Prometheus;

namespace OpmlNode.Hosting.Metrics;

/// <summary>
/// What an operator alerts on, in the node's own Prometheus registry (prometheus-net). Totals of tasks, submissions
/// and games are read from the node's database at each scrape, so they survive restarts and cannot drift from what the
/// node acts on; what only the running services know (clocks, head lag, RPC faults, compute time) is set by them.
/// </summary>
public sealed class NodeMetrics
{
    private readonly Gauge _tasksSeen, _submitted, _finalized, _disagreed, _gamesOpen, _gamesWon, _gamesLost;
    private NodeStore? _store;
    private string _address = "";

    public NodeMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _tasksSeen = f.CreateGauge("opml_tasks_seen", "Tasks of the deployment the node has recorded.");
        _submitted = f.CreateGauge("opml_tasks_submitted", "Tasks this node has submitted a result for.");
        _finalized = f.CreateGauge("opml_tasks_finalized", "Recorded tasks whose result is final.");
        _disagreed = f.CreateGauge("opml_submissions_disagreed", "Submissions this node challenged (its S_N differed).");
        _gamesOpen = f.CreateGauge("opml_games_open", "Games this node takes part in that are not over.");
        _gamesWon = f.CreateGauge("opml_games_won", "Games this node won.");
        _gamesLost = f.CreateGauge("opml_games_lost", "Games this node lost.");
        Verified = f.CreateCounter("opml_submissions_verified_total", "Submissions of others re-executed and compared (this run).");
        ClockMinSeconds = f.CreateGauge("opml_game_clock_min_seconds", "The smallest time left on this node's clock over its open games (NaN: no open game).");
        ClockMinSeconds.Set(double.NaN);
        HeadLagBlocks = f.CreateGauge("opml_head_lag_blocks", "Chain head minus the last block the watcher applied.");
        RpcErrors = f.CreateCounter("opml_rpc_errors_total", "RPC attempts that failed (timeouts, transport errors), retried or not.");
        RpcSwitches = f.CreateCounter("opml_rpc_endpoint_switches_total", "Times RPC calls moved to another endpoint (primary to fallback or back).");
        RpcEndpoint = f.CreateGauge("opml_rpc_endpoint", "The endpoint RPC calls go to: 0 the primary, i the i-th fallback.");
        CircuitState = f.CreateGauge("opml_rpc_circuit_state", "The RPC circuit breaker: 0 closed, 0.5 half-open, 1 open.");
        ComputeSeconds = f.CreateCounter("opml_compute_seconds_total", "Seconds spent computing: graph (inference and graph trace), move (the solver, VM traces included).", "kind");
        WalletWei = f.CreateGauge("opml_wallet_balance_wei", "The node's account balance.");
        BondsNeededWei = f.CreateGauge("opml_bonds_needed_wei", "The bond of one more action of each role this node plays (submit and/or challenge).");
        LastWatcherTick = f.CreateGauge("opml_watcher_last_success_unixtime", "When the chain watcher last completed a tick.");
        TxReplacements = f.CreateCounter("opml_tx_replacements_total", "Same-nonce replacements signed because a transaction was not mined in time.");
        TxFeeCapBlocked = f.CreateCounter("opml_tx_fee_cap_blocked_total", "Transactions the chain would not mine at the operator's fee cap (logged as errors).");
        ChainLogsIgnored = f.CreateCounter("opml_chain_logs_ignored_total", "Event logs from the provider skipped: undecodable data, or not the contract, event or block range asked for.", "reason");
        TxFeesPaidWei = f.CreateCounter("opml_tx_fees_paid_wei_total", "Gas fees paid by this node's mined transactions (gas used × effective price), this run.");
        Registry.AddBeforeCollectCallback(FromStore);
    }

    public CollectorRegistry Registry { get; }
    public Counter Verified { get; }
    public Gauge ClockMinSeconds { get; }
    public Gauge HeadLagBlocks { get; }
    public Counter RpcErrors { get; }
    public Gauge CircuitState { get; }
    public Counter RpcSwitches { get; }
    public Gauge RpcEndpoint { get; }
    public Counter ComputeSeconds { get; }
    public Gauge WalletWei { get; }
    public Gauge BondsNeededWei { get; }
    public Gauge LastWatcherTick { get; }
    public Counter TxReplacements { get; }
    public Counter TxFeeCapBlocked { get; }
    public Counter TxFeesPaidWei { get; }
    public Counter ChainLogsIgnored { get; }

    /// <summary>Whether the database is open (the store is attached once the node's services are built).</summary>
    public bool DatabaseOpen => _store is not null;

    /// <summary>Attaches the node's database: the totals are read from it at every scrape.</summary>
    public void Attach(NodeStore store, string address)
    {
        _store = store;
        _address = address;
    }

    public void Set(Gauge g, BigInteger wei) => g.Set((double)wei);

    /// <summary>Times <paramref name="work"/> into <see cref="ComputeSeconds"/> under <paramref name="kind"/>.</summary>
    public T Time<T>(string kind, Func<T> work)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try { return work(); }
        finally { ComputeSeconds.WithLabels(kind).Inc(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds); }
    }

    private bool Me(string a) => string.Equals(a, _address, StringComparison.OrdinalIgnoreCase);

    private void FromStore()
    {
        if (_store is not { } store) return;
        var tasks = store.Tasks().ToList();
        _tasksSeen.Set(tasks.Count);
        _submitted.Set(tasks.Count(t => t.Submissions.Any(s => Me(s.Submitter))));
        _finalized.Set(tasks.Count(t => t.Finalized));
        _disagreed.Set(store.Transactions().Count(t => t.Action.StartsWith("challenge:", StringComparison.Ordinal)));
        var games = store.Games().ToList();
        _gamesOpen.Set(games.Count(g => !g.Over));
        _gamesWon.Set(games.Count(g => g.Won == true));
        _gamesLost.Set(games.Count(g => g.Won == false));
    }
}
