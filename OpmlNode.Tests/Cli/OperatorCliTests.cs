using System.Net;
using System.Text.Json;
using OpmlNode.Tests.Support;
using static OpmlNode.Tests.Support.OpmlNodeCli;

namespace OpmlNode.Tests.Cli;

/// <summary>What an operator sees of the executable: --version, the failure of a bad setting, the probe verb.</summary>
public class OperatorCliTests
{
    [Fact]
    public void VersionPrintsTheVersionTheCommitAndTheOpGuestsProgramRoot()
    {
        var (code, stdout, stderr) = Run("--version");
        Assert.True(code == 0, stderr);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^opml-node \d+\.\d+\.\d+", lines[0]);
        Assert.Matches(@"^commit ([0-9a-f]{40}|unknown)$", lines[1]);
        Assert.Equal($"op guest program root {File.ReadAllText(Repo.Path("guest", "bin", "opml-ops.root")).Trim()}", lines[2]);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("text")]
    public void AnInvalidSettingIsOneEventWithoutAStackTraceAndCleanErrorLines(string format)
    {
        var dir = Directory.CreateTempSubdirectory("opml-bad-").FullName;
        var unset = "UNSET_" + Guid.NewGuid().ToString("N");
        var (code, stdout, stderr) = RunIn(dir, "run", "--rpc", "http://127.0.0.1:1", "--key-env", unset, "--verifier",
            "--model", $"1={Repo.Path("models", "mnist", "mnist.opml")}", "--log-format", format);
        Assert.Equal(2, code);
        Assert.DoesNotContain("   at ", stdout + stderr); // no frame of a .NET stack trace anywhere
        var errors = stderr.Trim().Split('\n');
        Assert.All(errors, l => Assert.StartsWith("error: invalid setting: ", l));
        Assert.Contains(errors, l => l.Contains($"environment variable {unset} is not set"));
        var lines = stdout.Trim().Split('\n');
        Assert.Single(lines);
        if (format == "json")
        {
            using var e = JsonDocument.Parse(lines[0]);
            Assert.Equal("Hosting failed to start", e.RootElement.GetProperty("@mt").GetString());
            Assert.Contains(unset, e.RootElement.GetProperty("Error").GetString());
            Assert.False(e.RootElement.TryGetProperty("@x", out _), "the event carries an exception");
        }
        else Assert.Matches(@"^\d\d:\d\d:\d\d ERR Hosting failed to start", lines[0]);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SettingsFromTheEnvironmentAreNotOverriddenByFlagsLeftOut()
    {
        // The systemd units give the roles and the model as OPML_OpmlNode__Node__* variables and no flags at all.
        var dir = Directory.CreateTempSubdirectory("opml-env-").FullName;
        var unset = "UNSET_" + Guid.NewGuid().ToString("N");
        var env = new Dictionary<string, string>
        {
            ["OPML_OpmlNode__Node__Verifier"] = "true",
            ["OPML_OpmlNode__Node__RpcUrl"] = "http://127.0.0.1:1",
            ["OPML_OpmlNode__Node__KeyEnv"] = unset,
            ["OPML_OpmlNode__Node__Models__0__ModelId"] = "1",
            ["OPML_OpmlNode__Node__Models__0__File"] = Repo.Path("models", "mnist", "mnist.opml"),
        };
        var (code, _, stderr) = RunWith(dir, env, "run", "--log-format", "text");
        Assert.Equal(2, code);
        var errors = stderr.Trim().Split('\n');
        Assert.DoesNotContain(errors, l => l.Contains("no role"));
        Assert.Contains(errors, l => l.Contains($"environment variable {unset} is not set"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task ProbeExitsZeroOnlyWhenTheEndpointAnswers200()
    {
        var port = MetricsScraper.FreePort();
        var (down, downOut, _) = Run("probe", "--port", port.ToString());
        Assert.Equal(1, down);
        Assert.Contains("no answer", downOut);

        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://localhost:{port}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            for (int i = 0; i < 2; i++)
            {
                var ctx = await listener.GetContextAsync();
                ctx.Response.StatusCode = ctx.Request.Url!.AbsolutePath == "/healthz" ? 200 : 503;
                ctx.Response.Close();
            }
        });
        Assert.Equal(0, Run("probe", "--port", port.ToString()).Code);
        Assert.Equal(1, Run("probe", "--port", port.ToString(), "--ready").Code);
        await serve.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
