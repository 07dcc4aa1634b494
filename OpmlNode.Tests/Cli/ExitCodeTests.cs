using System.Text.RegularExpressions;
using OpmlNode.Tests.Support;
using static OpmlNode.Tests.Support.OpmlNodeCli;

namespace OpmlNode.Tests.Cli;

/// <summary>
/// One test per exit class of the one error-to-exit-code mapping (the real executable, as a user runs it), and a sweep of
/// bad invocations of every verb: each exits 2 with plain messages, never a stack trace or a .NET type name.
/// </summary>
public partial class ExitCodeTests
{

    [Fact]
    public void UsageErrorExits2WithAPlainMessage()
    {
        var (code, _, err) = Run("vm", "run", Repo.Guest("exit_code"), "--max-steps", "abc");
        Assert.Equal(2, code);
        Assert.Contains("'abc' is not a valid value for --max-steps: expected a non-negative integer", err);
        Assert.Contains("see 'opml-node vm run --help'", err);
        AssertClean(err);
    }

    [Fact]
    public void BadFileExits2()
    {
        var (code, _, err) = Run("vm", "run", Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Contains("is a directory, not a file", err);
        AssertClean(err);
    }

    [Fact]
    public void TrapExits134() => Assert.Equal(134, Run("vm", "run", Repo.Guest("trap_ebreak")).Code);

    [Fact]
    public void StepLimitExits124() => Assert.Equal(124, Run("vm", "run", Repo.Guest("loops"), "--max-steps", "10").Code);

    [Fact]
    public void GuestExitCodePassesThrough() => Assert.Equal(42, Run("vm", "run", Repo.Guest("exit_code")).Code);

    public static TheoryData<string[]> BadInvocations()
    {
        var missing = Path.Combine(Path.GetTempPath(), "opml-missing-" + Guid.NewGuid().ToString("N"));
        var dir = Path.GetTempPath();
        return new()
        {
            new[] { "no-such-verb" },
            new[] { "vm" },
            new[] { "vm", "run" },
            new[] { "vm", "run", missing },
            new[] { "vm", "run", Repo.Guest("exit_code"), "--root-every", "-1" },
            new[] { "vm", "witness", "--out", dir, "--coverage" },
            new[] { "vm", "witness", "--random", "x", "--out", missing },
            new[] { "model", "synth", "--arch", "cnn", "--out", missing },
            new[] { "model", "synth", "--arch", "mlp", "--preset", "huge", "--out", missing },
            new[] { "model", "synth", "--arch", "mlp", "--seed", "1.5", "--out", missing },
            new[] { "model", "info", missing },
            new[] { "model", "info", dir },
            new[] { "model", "info", Repo.Guest("exit_code") },
            new[] { "infer", "--model", missing, "--input-random", "1" },
            new[] { "infer", "--model", Repo.Guest("exit_code"), "--input-random", "1" },
            new[] { "infer", "--model", dir, "--input-random", "1" },
            new[] { "infer", "--model", Repo.Guest("exit_code"), "--backend", "tpu", "--input-random", "1" },
            new[] { "chain", "verify-step", "--witness", missing },
            new[] { "chain", "verify-step", "--witness", Repo.Guest("exit_code") },
            new[] { "bench", "vm", missing, "--rounds", "1" },
            new[] { "bench", "matvec", "--rows", "many" },
            new[] { "bench", "dispute", "--model", missing, "--contracts", Repo.Path("contracts") },
            new[] { "bench", "dispute", "--model", Repo.Path("models", "mnist", "mnist.opml"), "--contracts", Repo.Path("contracts"), "--k", "1" },
            new[] { "bench", "dispute", "--model", Repo.Path("models", "mnist", "mnist.opml"), "--contracts", Repo.Path("contracts"), "--window", "1" },
            new[] { "bench", "dispute", "--model", Repo.Path("models", "mnist", "mnist.opml"), "--contracts", Repo.Path("contracts"), "--lie-slot", "middle" },
            new[] { "bench", "dispute", "--model", Repo.Path("models", "mnist", "mnist.opml"), "--contracts", Repo.Path("contracts"), "--lie-slot", "11" },
            new[] { "bench", "dispute", "--model", Repo.Guest("exit_code"), "--contracts", Repo.Path("contracts") },
            new[] { "bench", "dispute", "--model", Repo.Path("models", "mnist", "mnist.opml"), "--contracts", Repo.Path("contracts"), "--dir", Repo.Path("guest") },
            new[] { "bench", "plot", "--results", missing, "--out", Path.Combine(dir, "x.png") },
            new[] { "bench", "plot", "--results", Repo.Path("guest"), "--out", Path.Combine(dir, "x.png") },
        };
    }

    [Theory]
    [MemberData(nameof(BadInvocations))]
    public void BadInvocationsExit2WithoutStackTraceOrTypeName(string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == 2, $"opml-node {string.Join(' ', args)} exited {code}, not 2:\n{stdout}\n{stderr}");
        Assert.StartsWith("error: ", stderr);
        AssertClean(stdout + stderr);
    }

    private static void AssertClean(string output)
    {
        Assert.DoesNotMatch(StackFrame(), output);
        Assert.DoesNotMatch(DotNetTypeName(), output);
    }

    [GeneratedRegex(@"^\s+at \S+\(|Unhandled exception|--- End of", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\bSystem\.[A-Z]\w*(\.\w+)*|\bOpmlNode\.[A-Z]\w*\.|Exception\b|`1")]
    private static partial Regex DotNetTypeName();
}
