using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpmlNode.Dispute;
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

    /// <summary>Serilog: compact JSON, one object per line, on stdout (and a file when configured); task and game ids as properties.</summary>
    public static IServiceCollection AddOpmlLogging(this IServiceCollection services, IConfiguration config)
    {
        var logFile = config[$"{NodeRunOptions.Section}:LogFile"];
        services.AddSerilog((_, lc) =>
        {
            lc.MinimumLevel.Information().MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
              .MinimumLevel.Override("System.Net.Http", Serilog.Events.LogEventLevel.Warning)
              .Enrich.FromLogContext().WriteTo.Console(new CompactJsonFormatter());
            if (!string.IsNullOrEmpty(logFile)) lc.WriteTo.File(new CompactJsonFormatter(), logFile);
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
            var vm = Inference.Backends.VmBackend.Embedded();
            return o.Models.ToDictionary(m => m.ModelId, m =>
            {
                var model = ModelReader.Open(m.File);
                var roots = ModelRoots.Load(model, TextWriter.Null);
                return new ServedModelRuntime(m.ModelId, model, roots, RegisteredModel.Of(model, roots, vm, 0));
            });
        });
        services.AddSingleton(sp => new NodeContext(sp.GetRequiredService<IOptions<NodeRunOptions>>().Value, sp.GetRequiredService<NodeStore>(),
            sp.GetRequiredService<IReadOnlyDictionary<ulong, ServedModelRuntime>>(), sp.GetRequiredService<ILogger<NodeContext>>()));
        services.AddSingleton(sp =>
        {
            var node = sp.GetRequiredService<NodeContext>();
            return new TransactionSender(node.Web3, node.Address, node.Store, node.Rpc, sp.GetRequiredService<ILogger<TransactionSender>>());
        });
        services.AddHostedService<NodeStartup>();
        return services;
    }

    /// <summary>One background service per concern; submitter and verifier per the configured roles.</summary>
    public static IServiceCollection AddOpmlServices(this IServiceCollection services, IConfiguration config)
    {
        var section = config.GetSection(NodeRunOptions.Section);
        services.AddHostedService<ChainWatcherService>();
        if (section.GetValue<bool>(nameof(NodeRunOptions.Submitter))) services.AddHostedService<SubmitterService>();
        if (section.GetValue<bool>(nameof(NodeRunOptions.Verifier))) services.AddHostedService<VerifierService>();
        services.AddHostedService<DisputePlayerService>();
        services.AddHostedService<FinalizerService>();
        return services;
    }
}
