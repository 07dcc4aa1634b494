using System.Diagnostics;

namespace OpmlNode.Tests.Support;

/// <summary>The opml-node executable as a user runs it: a real process, its exit code and both output streams.</summary>
internal static class OpmlNodeCli
{
    public static (int Code, string Out, string Err) Run(params string[] args) => RunIn(null, args);

    public static (int Code, string Out, string Err) RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    public static (int Code, string Out, string Err) RunWith(string? workingDirectory, IDictionary<string, string>? env, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "opml-node.dll");
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("opml-node did not finish in 120 s"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
