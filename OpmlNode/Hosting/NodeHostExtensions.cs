using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpmlNode.Dispute;
using OpmlNode.Hosting.Metrics;
using OpmlNode.Hosting.Services;
using OpmlNode.Inference.Models;
using OpmlNode.Storage;
using Serilog;
using Serilog.Formatting.Compact;

namespace OpmlNode.Hosting;

/// <summary>The node's composition: one <c>AddOpml…</c> per module, each with its validated options.</summary>
public static class NodeHostExtensions
{
    /// <summary>Options of the node (validated at start: the host does not start with a bad setting).</summary>
    public static IServiceCollection AddOpmlOptions(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<IValidateOptions<NodeRunOptions>, NodeRunOptionsValidator>();
        services.AddOptions<NodeRunOptions>().Bind(config.GetSection(NodeRunOptions.Section)).ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Serilog: compact JSON, one object per line, on stdout (<c>--log-format text</c> for people) and in a file when
    /// configured; task, submission and game ids as properties; levels per namespace from the <c>Serilog:MinimumLevel</c>
    /// section of appsettings.json (default Information, Microsoft and System.Net.Http at Warning). The host's own failure
    /// events carry the error's message, never its stack trace (<see cref="Logging.NoTraceFormatter"/>).
    /// </summary>
    public static IServiceCollection AddOpmlLogging(this IServiceCollection services, IConfiguration config)
    {
        var logFile = config[$"{NodeRunOptions.Section}:LogFile"];
        var text = string.Equals(config[$"{NodeRunOptions.Section}:LogFormat"], "text", StringComparison.OrdinalIgnoreCase);
        services.AddSerilog((_, lc) =>
        {
            lc.MinimumLevel.Information().MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
              .MinimumLevel.Override("System.Net.Http", Serilog.Events.LogEventLevel.Warning)
              .ReadFrom.Configuration(config)
              .Enrich.FromLogContext();
            var json = new Logging.NoTraceFormatter(new CompactJsonFormatter());
            if (text) lc.WriteTo.Console(new Logging.NoTraceFormatter(new Serilog.Formatting.Display.MessageTemplateTextFormatter(
                "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}")));
            else lc.WriteTo.Console(json);
            if (!string.IsNullOrEmpty(logFile)) lc.WriteTo.File(json, logFile);
        });
        return services;
    }

    /// <summary>The node's RocksDB (its own directory) behind the storage port.</summary>
    public static IServiceCollection AddOpmlStorage(this IServiceCollection services)
    {
        services.AddSingleton<IColumnsDb<DbColumn>>(sp => RocksColumnsDb.Open(new StorageOptions { Path = sp.GetRequiredService<IOptions<NodeRunOptions>>().Value.DataDir, SyncWrites = true }));
        services.AddSingleton<NodeStore>();
        return services;
    }

    /// <summary>The chain side: signer, contracts, served models, the transaction journal.</summary>
    public static IServiceCollection AddOpmlChain(this IServiceCollection services)
    {
        services.AddSingleton<IReadOnlyDictionary<ulong, ServedModelRuntime>>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<NodeRunOptions>>().Value;
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("OpmlNode.Hosting.Models");
            var vm = Inference.Backends.VmBackend.Embedded();
            return o.Models.ToDictionary(m => m.ModelId, m =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var model = ModelReader.Open(m.File);
                // Hashing a large model's weights takes a while the first time: its progress lines are logged.
                using var progress = new Logging.LogLineWriter(log, m.ModelId);
                var roots = ModelRoots.Load(model, progress);
                log.LogInformation("Model {ModelId} loaded from {File}: {WeightBytes} weight bytes, roots {RootsSource} in {LoadSeconds:0.###} s",
                    m.ModelId, m.File, model.Weights.Sum(w => w.Length), roots.FromCache ? "from the cache" : "hashed", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                return new ServedModelRuntime(m.ModelId, model, roots, RegisteredModel.Of(model, roots, vm, 0));
            });
        });
        services.AddSingleton(sp => new NodeContext(sp.GetRequiredService<IOptions<NodeRunOptions>>().Value, sp.GetRequiredService<NodeStore>(),
            sp.GetRequiredService<IReadOnlyDictionary<ulong, ServedModelRuntime>>(), sp.GetRequiredService<NodeMetrics>(), sp.GetRequiredService<ILogger<NodeContext>>(),
            sp.GetService<IHostApplicationLifetime>()));
        services.AddSingleton(sp =>
        {
            var node = sp.GetRequiredService<NodeContext>();
            return new TransactionSender(node.Web3, node.Address, node.Store, node.Rpc, sp.GetRequiredService<ILogger<TransactionSender>>(),
                new Chain.Fees.FeePolicy(node.Options.MaxFeeGwei is { } cap ? Chain.Fees.FeePolicy.FromGwei(cap) : null,
                    TimeSpan.FromSeconds(node.Options.ReplaceAfterSeconds), node.Options.LegacyFeesBaseline), node.Metrics, node.CheckGenesisAsync);
        });
        services.AddHostedService<NodeStartup>();
        return services;
    }

    /// <summary>
    /// systemd's notify protocol (READY=1, STOPPING=1, WATCHDOG=1) whenever systemd gave the process a NOTIFY_SOCKET.
    /// AddSystemd() alone decides by reading /proc/&lt;ppid&gt;/comm, which the shipped unit hides (ProtectProc=invisible,
    /// DynamicUser): the node would never send READY and the start would time out.
    /// </summary>
    public static IServiceCollection AddSystemdNotify(this IServiceCollection services)
    {
        services.AddSystemd();
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        return services;
    }

    /// <summary>One background service per concern; submitter and verifier per the configured roles.</summary>
    public static IServiceCollection AddOpmlServices(this IServiceCollection services, IConfiguration config)
    {
        var section = config.GetSection(NodeRunOptions.Section);
        // AddSystemd registers the notifier only under systemd; elsewhere one whose IsEnabled is false (no NOTIFY_SOCKET).
        services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<ChainWatcherService>();
        if (section.GetValue<bool>(nameof(NodeRunOptions.Submitter))) services.AddHostedService<SubmitterService>();
        if (section.GetValue<bool>(nameof(NodeRunOptions.Verifier))) services.AddHostedService<VerifierService>();
        services.AddHostedService<DisputePlayerService>();
        services.AddHostedService<FinalizerService>();
        return services;
    }

    /// <summary>The Prometheus registry the services write to, and its HTTP endpoint when <c>--metrics-port</c> is set.</summary>
    public static IServiceCollection AddOpmlMetrics(this IServiceCollection services)
    {
        services.AddSingleton<NodeMetrics>();
        services.AddHostedService<MetricsEndpoint>();
        return services;
    }
}
