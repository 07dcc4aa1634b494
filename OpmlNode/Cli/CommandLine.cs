using System.CommandLine;

namespace OpmlNode.Cli;

/// <summary>Builds the opml-node command tree. Each verb lives in its own file.</summary>
public static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("opml-node: optimistic machine learning node (submitter, verifier, fraud-proof VM).");
        return await root.Parse(args).InvokeAsync();
    }
}
