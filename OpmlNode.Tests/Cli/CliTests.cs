using System.Text.Json;
using OpmlNode.Crypto;
using OpmlNode.Tests.Support;
using static OpmlNode.Tests.Support.OpmlNodeCli;
using OpmlNode.Vm;

namespace OpmlNode.Tests.Cli;

/// <summary>The opml-node executable as a user runs it: exit codes, messages, files written.</summary>
public class CliTests
{

    [Fact]
    public void VmRunExitsWithTheGuestsExitCodeAndPrintsTheStateHash()
    {
        var (code, stdout, _) = Run("vm", "run", Repo.Guest("exit_code"));
        Assert.Equal(42, code);
        var image = ElfLoader.LoadFile(Repo.Guest("exit_code"));
        var m = new Machine(image.Memory, image.Entry);
        m.Run(ulong.MaxValue);
        Assert.Contains($"state hash: {m.State().Hash()}", stdout);
        Assert.Contains($"steps:      {m.Step}", stdout);
    }

    [Fact]
    public void VmRunReportsATrapWithFixedExitCode()
    {
        var (code, _, stderr) = Run("vm", "run", Repo.Guest("trap_ebreak"));
        Assert.Equal(134, code);
        Assert.Contains("guest trapped: ebreak at pc 0x", stderr);
    }

    [Fact]
    public void VmRunStopsAtTheStepLimit()
    {
        var (code, stdout, stderr) = Run("vm", "run", Repo.Guest("loops"), "--max-steps", "1000");
        Assert.Equal(124, code);
        Assert.Contains("steps:      1000", stdout);
        Assert.Contains("step limit", stderr);
    }

    [Theory]
    [InlineData("not-an-elf", "not an ELF file")]
    [InlineData("missing", "cannot read")]
    public void VmRunRejectsBadFilesWithoutAStackTrace(string kind, string message)
    {
        var path = Path.Combine(Path.GetTempPath(), $"opml-{kind}-{Guid.NewGuid():N}");
        if (kind == "not-an-elf") File.WriteAllText(path, "#!/bin/sh\necho this is a shell script, not a guest\n");
        try
        {
            var (code, _, stderr) = Run("vm", "run", path);
            Assert.Equal(2, code);
            Assert.Contains(message, stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void WitnessAtWritesAWitnessTheReferenceStepperAccepts()
    {
        var json = Path.Combine(Path.GetTempPath(), $"opml-witness-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, _) = Run("vm", "run", Repo.Guest("dot8"), "--witness-at", "5000", "--out", json);
            Assert.Equal(131, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var r = doc.RootElement;
            Assert.Equal(5000ul, r.GetProperty("step").GetUInt64());
            var state = Convert.FromHexString(r.GetProperty("state").GetString()![2..]);
            var proofs = Convert.FromHexString(r.GetProperty("proofs").GetString()![2..]);
            Assert.Equal(Hash256.FromHex(r.GetProperty("postStateHash").GetString()!), ReferenceStepper.StepHash(state, proofs));
            Assert.Equal(5000ul, VmState.Decode(state).Step);
        }
        finally { File.Delete(json); }
    }

    [Fact]
    public void WitnessVerbWritesFixtureRecordsInProtocolFormat()
    {
        var bin = Path.Combine(Path.GetTempPath(), $"opml-fixture-{Guid.NewGuid():N}.bin");
        try
        {
            var (code, stdout, _) = Run("vm", "witness", Repo.Guest("write"), "--random", "2", "--out", bin);
            Assert.Equal(0, code);
            var bytes = File.ReadAllBytes(bin);
            var records = 0;
            for (var at = 0; at < bytes.Length; records++)
            {
                var proofsLength = bytes[at + 2] << 8 | bytes[at + 3];
                var state = bytes.AsSpan(at + 4, VmState.Size);
                var proofs = bytes.AsSpan(at + 4 + VmState.Size, proofsLength);
                var expected = new Hash256(bytes.AsSpan(at + 4 + VmState.Size + proofsLength, 32));
                Assert.Equal(expected, ReferenceStepper.StepHash(state, proofs));
                at += 4 + VmState.Size + proofsLength + 32;
            }
            Assert.Contains($"{records} witnesses written", stdout);
            Assert.True(records > 20);
        }
        finally { File.Delete(bin); }
    }

    [Fact]
    public void HelpExplainsTheVerbs()
    {
        var (code, stdout, _) = Run("vm", "run", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--max-steps", stdout);
        Assert.Contains("134 if the guest trapped", stdout);
    }

    [Fact]
    public void SettingsFromAppsettingsJsonAreValidatedAndUsed()
    {
        var dir = Directory.CreateTempSubdirectory("opml-settings-").FullName;
        try
        {
            var settings = Path.Combine(dir, "appsettings.json");
            File.WriteAllText(settings, """{ "OpmlNode": { "Inference": { "Backend": "tpu" }, "Chain": { "PrivateKey": "0x12" } } }""");
            var (code, _, stderr) = RunIn(dir, "vm", "run", Repo.Guest("exit_code"));
            Assert.Equal(2, code);
            Assert.Contains("OpmlNode:Inference:Backend must be one of cpu, ilgpu, scalar, got 'tpu'", stderr);
            Assert.Contains("OpmlNode:Chain:PrivateKey must be 0x followed by 64 hex digits", stderr);

            File.WriteAllText(settings, "{ not json");
            (code, _, stderr) = RunIn(dir, "vm", "run", Repo.Guest("exit_code"));
            Assert.Equal(2, code);
            Assert.Contains("appsettings.json", stderr);

            File.WriteAllText(settings, """{ "OpmlNode": { "Inference": { "Backend": "scalar" } } }""");
            var model = Path.Combine(dir, "m.opml");
            Assert.Equal(0, RunIn(dir, "model", "synth", "--arch", "mlp", "--out", model).Code);
            var (inferCode, stdout, _) = RunIn(dir, "infer", "--model", model, "--input-random", "1");
            Assert.Equal(0, inferCode);
            Assert.Contains("backend scalar", stdout);
            Assert.Contains("backend cpu", RunIn(dir, "infer", "--model", model, "--input-random", "1", "--backend", "cpu").Out); // the command line wins
        }
        finally { Directory.Delete(dir, true); }
    }
}
