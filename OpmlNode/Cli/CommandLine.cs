using System.CommandLine;
using OpmlNode.Configuration;

namespace OpmlNode.Cli;

/// <summary>Builds the opml-node command tree. Each verb group lives in its own file.</summary>
public static class CommandLine
{
    /// <summary>Process exit codes shared by all verbs (a guest's own exit code passes through `vm run`).</summary>
    public static class ExitCodes
    {
        public const int BadInput = 2;
        public const int StepLimit = 124;
        public const int GuestTrapped = 134;
    }

    public static RootCommand Build(NodeOptions? options = null)
    {
        options ??= new NodeOptions();
        var root = new RootCommand(
            "opml-node: optimistic machine learning node. Runs RV32IM fault-proof guests, writes step witnesses, benchmarks.\n" +
            "Spec: docs/PROTOCOL.md.");
        root.Subcommands.Add(VmCommands.Build());
        root.Subcommands.Add(ChainCommands.Build(options));
        root.Subcommands.Add(BenchCommands.Build());
        ModelCommands.Register(root, options);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        NodeOptions options;
        try { options = NodeOptions.Load(); }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"error: invalid setting: {e}");
            return ExitCodes.BadInput;
        }
        return await Build(options).Parse(args).InvokeAsync();
    }
}
