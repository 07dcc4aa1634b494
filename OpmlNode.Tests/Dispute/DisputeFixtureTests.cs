using System.Text.Json;
using OpmlNode.Crypto;
using OpmlNode.Dispute;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Dispute;

/// <summary>
/// `opml-node dispute fixture` as forge reads it: the JSON parsed back into moves and replayed on a fresh C# referee
/// gives the recorded winner; bad options exit 2.
/// </summary>
public sealed class DisputeFixtureTests : IDisposable
{
    private readonly ModelTempDir _dir = new();

    [Theory]
    [InlineData("--lie-slot", "3", 2)]
    [InlineData("--lie-step", "1:store", 2)]
    [InlineData("--challenge-correct", "5", 1)]
    public void FixtureReplaysOnAFreshRefereeToItsWinner(string option, string value, int expectedWinner)
    {
        var model = _dir.Synth(ArchitectureKind.Mlp, seed: 4);
        var path = _dir.File($"game{option}.json");
        var (code, _, err) = OpmlNodeCli.Run("dispute", "fixture", "--model", model, option, value, "--k", "3", "--out", path);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var f = doc.RootElement;
        Assert.Equal(expectedWinner, f.GetProperty("winner").GetInt32());
        var m = f.GetProperty("model");
        var registered = new RegisteredModel(H(m, "programRoot"), m.GetProperty("entryPc").GetUInt32(), H(m, "descriptorsRoot"),
            m.GetProperty("nodeCount").GetInt32(), H(m, "weightsRoot"), m.GetProperty("weightCount").GetInt32(), m.GetProperty("outputNode").GetInt32(),
            m.GetProperty("inputSizeLimit").GetInt32(), m.GetProperty("outputSizeLimit").GetInt32(), m.GetProperty("maxNodeSteps").GetUInt64());
        var input = Convert.FromHexString(f.GetProperty("input").GetString()![2..]);
        var game = new GameState(registered, OpmlNode.Merkle.MerkleMath.TensorRoot(input), f.GetProperty("passes").GetInt32(),
            H(f.GetProperty("submission"), "finalRoot"), f.GetProperty("k").GetInt32());
        foreach (var mv in f.GetProperty("moves").EnumerateArray()) game.Apply(Parse(mv));
        Assert.Equal(GamePhase.Resolved, game.Phase);
        Assert.Equal(expectedWinner == 1 ? Role.Submitter : Role.Challenger, game.Winner);
        Assert.Equal(f.GetProperty("pinnedSlot").GetInt64(), game.Slot);
        Assert.Equal(f.GetProperty("moveCount").GetInt32(), game.Moves);
    }

    [Theory]
    [InlineData("--lie-slot", "999")]
    [InlineData("--lie-step", "1:sideways")]
    [InlineData("--lie-step", "7")]
    public void BadScenariosExit2(string option, string value)
    {
        var model = _dir.Synth(ArchitectureKind.Mlp, seed: 4);
        var (code, _, err) = OpmlNodeCli.Run("dispute", "fixture", "--model", model, option, value, "--out", _dir.File("x.json"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
    }

    [Fact]
    public void TwoScenarioOptionsAreAUsageError()
    {
        var model = _dir.Synth(ArchitectureKind.Mlp, seed: 4);
        var (code, _, err) = OpmlNodeCli.Run("dispute", "fixture", "--model", model, "--lie-slot", "1", "--challenge-correct", "--out", _dir.File("x.json"));
        Assert.Equal(2, code);
        Assert.Contains("exactly one of", err);
    }

    private static Move Parse(JsonElement mv) => mv.GetProperty("kind").GetInt32() switch
    {
        1 => new BisectMove(Hs(mv, "roots")),
        2 => new ChooseMove(mv.GetProperty("choice").GetInt32()),
        3 => new TransitionMove(H(mv, "outRoot"), Hs(mv, "siblings")),
        4 => new LinkMove(B(mv, "descriptor"), Hs(mv, "descriptorProof"), Hs(mv, "inputRoots"),
            [.. mv.GetProperty("inputProofs").EnumerateArray().Select(a => a.EnumerateArray().Select(e => Hash256.FromHex(e.GetString()!)).ToArray())]),
        5 => new ClaimFinalMove(B(mv, "finalState"), Hs(mv, "outputProof")),
        6 => new StepMove(B(mv, "state"), B(mv, "proofs")),
        var k => throw new InvalidDataException($"unknown move kind {k}"),
    };

    private static Hash256 H(JsonElement e, string name) => Hash256.FromHex(e.GetProperty(name).GetString()!);
    private static Hash256[] Hs(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => Hash256.FromHex(x.GetString()!))];
    private static byte[] B(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()![2..]);

    public void Dispose() => _dir.Dispose();
}
