using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using OpmlNode.Configuration;

namespace OpmlNode.Cli;

/// <summary>Builds the opml-node command tree (each verb group in its own file) and runs it with one error mapping.</summary>
public static class CommandLine
{
    public static RootCommand Build(NodeOptions? options = null)
    {
        options ??= new NodeOptions();
        var root = new RootCommand(
            "opml-node: optimistic machine learning node. Runs integer-quantised models natively and in the RV32IM fault-proof VM,\n" +
            "writes step witnesses, verifies steps on chain, benchmarks. Spec: docs/PROTOCOL.md, docs/OPS.md, docs/GRAPH.md.\n" +
            $"Exit codes: 0 ok; {ExitCodes.CheckFailed} a check failed; {ExitCodes.BadInput} bad usage or input; `vm run` passes the guest's code through " +
            $"({ExitCodes.StepLimit} step limit, {ExitCodes.GuestTrapped} trap).");
        root.Subcommands.Add(VmCommands.Build());
        root.Subcommands.Add(ChainCommands.Build(options));
        root.Subcommands.Add(ModelCommands.Build());
        root.Subcommands.Add(InferCommand.Build(options));
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(DevnetCommand.Build());
        root.Subcommands.Add(DisputeCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        root.Subcommands.Add(DeployCommand.Build(options));
        root.Subcommands.Add(RequestCommand.Build(options));
        root.Subcommands.Add(ReclaimCommand.Build(options));
        root.Subcommands.Add(StatusCommand.Build(options));
        root.Subcommands.Add(ProbeCommand.Build());
        foreach (var v in root.Options.OfType<VersionOption>()) v.Action = new VersionAction();
        ApplyConventions(root);
        return root;
    }

    /// <summary>A verb group: a command that only holds its sub-verbs.</summary>
    internal static Command Group(string name, string description, params Command[] verbs)
    {
        var group = new Command(name, description);
        foreach (var v in verbs) group.Subcommands.Add(v);
        return group;
    }

    /// <summary>
    /// Conventions every verb gets: value placeholders name the value (by type, unless the option set its own), and a
    /// directory given where a file is expected is a usage error that says so.
    /// </summary>
    private static void ApplyConventions(Command command)
    {
        foreach (var option in command.Options)
        {
            if (option is HelpOption or VersionOption) continue;
            option.HelpName ??= Placeholder(option.ValueType);
            if (option.ValueType == typeof(FileInfo)) option.Validators.Add(r => RejectDirectory(r, r.GetValueOrDefault<FileInfo?>()));
            if (option.ValueType == typeof(FileInfo[])) option.Validators.Add(r => { foreach (var f in r.GetValueOrDefault<FileInfo[]?>() ?? []) RejectDirectory(r, f); });
        }
        foreach (var argument in command.Arguments)
        {
            if (argument.ValueType == typeof(FileInfo)) argument.Validators.Add(r => RejectDirectory(r, r.GetValueOrDefault<FileInfo?>()));
            if (argument.ValueType == typeof(FileInfo[])) argument.Validators.Add(r => { foreach (var f in r.GetValueOrDefault<FileInfo[]?>() ?? []) RejectDirectory(r, f); });
        }
        foreach (var sub in command.Subcommands) ApplyConventions(sub);
    }

    private static void RejectDirectory(SymbolResult r, FileInfo? f)
    {
        if (f is not null && Directory.Exists(f.FullName)) r.AddError($"{f.FullName} is a directory, not a file");
    }

    private static string? Placeholder(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(bool)) return null;
        if (t == typeof(FileInfo) || t == typeof(FileInfo[])) return "FILE";
        if (t == typeof(DirectoryInfo)) return "DIR";
        if (t == typeof(int) || t == typeof(long) || t == typeof(ulong) || t == typeof(uint)) return "N";
        if (t.IsArray) return "VALUE";
        if (t.IsEnum) return string.Join("|", Enum.GetNames(t).Select(n => n.ToLowerInvariant()));
        return "VALUE";
    }

    /// <summary>"opml-node vm run" for the verb a parse ended in.</summary>
    private static string VerbPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Command is not RootCommand; r = r.Parent) names.Add(((CommandResult)r).Command.Name);
        names.Add("opml-node");
        names.Reverse();
        return string.Join(' ', names);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        NodeOptions options;
        try { options = NodeOptions.Load(); }
        catch (InvalidDataException e) { return CliErrors.Fail(e.Message); }
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"error: invalid setting: {e}");
            return ExitCodes.BadInput;
        }
        return await InvokeAsync(args, options);
    }

    /// <summary>Parses and runs one command line with already-validated settings: usage errors and failures map to exit codes here.</summary>
    public static int Invoke(string[] args, NodeOptions? options = null) => InvokeAsync(args, options ?? new NodeOptions()).GetAwaiter().GetResult();

    private static async Task<int> InvokeAsync(string[] args, NodeOptions options)
    {
        var parse = Build(options).Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {CliErrors.Describe(e)}");
            Console.Error.WriteLine($"see '{VerbPath(parse.CommandResult)} --help'");
            return ExitCodes.BadInput;
        }
        try { return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); }
        catch (Exception e) { return CliErrors.Report(e); }
    }
}
