using System.CommandLine;

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

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "opml-node: optimistic machine learning node. Runs RV32IM fault-proof guests, writes step witnesses, benchmarks.\n" +
            "Spec: docs/PROTOCOL.md.");
        root.Subcommands.Add(VmCommands.Build());
        root.Subcommands.Add(ChainCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        ModelCommands.Register(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args) => await Build().Parse(args).InvokeAsync();
}
