using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using OpmlNode.Inference.Backends;

namespace OpmlNode.Cli;

/// <summary>
/// <c>opml-node --version</c>: the version, the commit it was built from (the SDK's source revision; "unknown" when
/// built outside a git checkout without <c>-p:SourceRevisionId=…</c>) and the program root of the embedded op guest,
/// which must equal the programRoot a model is registered with.
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var info = typeof(VersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var parts = info.Split('+', 2);
        parseResult.InvocationConfiguration.Output.WriteLine($"opml-node {parts[0]}");
        parseResult.InvocationConfiguration.Output.WriteLine($"commit {(parts.Length == 2 && parts[1].Length > 0 ? parts[1] : "unknown")}");
        parseResult.InvocationConfiguration.Output.WriteLine($"op guest program root {VmBackend.Embedded().ProgramRoot()}");
        return ExitCodes.Ok;
    }
}
