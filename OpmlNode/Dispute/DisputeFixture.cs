using System.Text.Json;
using OpmlNode.Crypto;

namespace OpmlNode.Dispute;

/// <summary>
/// A whole game as a forge test replays it on the real contracts (contracts/test/dispute/FixtureGames.t.sol): the
/// model's registration, the task, the submission, every move in order with the data the contract checks, and the
/// winner the C# referee decided. Everything comes from the engine (graph run, VM traces, proofs); nothing is hand-made.
/// </summary>
public static class DisputeFixture
{
    public const int FormatVersion = 1;

    /// <summary>Move kinds as the fixture numbers them.</summary>
    public enum Kind { Bisect = 1, Choose = 2, Transition = 3, Link = 4, ClaimFinal = 5, Step = 6 }

    public static void Write(Stream destination, string name, RegisteredModel model, GraphTrace submitter, int k,
        LocalDispute.Result result, string liar, long lieSlot, ulong? lieStep)
    {
        using var w = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = false });
        w.WriteStartObject();
        w.WriteNumber("version", FormatVersion);
        w.WriteString("name", name);
        w.WriteStartObject("model");
        w.WriteString("programRoot", model.ProgramRoot.ToString());
        w.WriteNumber("entryPc", model.EntryPc);
        w.WriteString("descriptorsRoot", model.DescriptorsRoot.ToString());
        w.WriteNumber("nodeCount", model.NodeCount);
        w.WriteString("weightsRoot", model.WeightsRoot.ToString());
        w.WriteNumber("weightCount", model.WeightCount);
        w.WriteNumber("outputNode", model.OutputNode);
        w.WriteNumber("inputSizeLimit", model.InputSizeLimit);
        w.WriteNumber("outputSizeLimit", model.OutputSizeLimit);
        w.WriteNumber("maxNodeSteps", model.MaxNodeSteps);
        w.WriteEndObject();
        w.WriteString("input", Hex(submitter.TaskInputBytes));
        w.WriteNumber("passes", submitter.Passes);
        w.WriteNumber("k", k);
        w.WriteStartObject("submission");
        w.WriteString("output", Hex(submitter.Output));
        w.WriteString("finalRoot", submitter.FinalRoot.ToString());
        Roots(w, "outputSlotProof", submitter.OutputSlotProof().Siblings);
        w.WriteEndObject();
        w.WriteString("liar", liar);
        w.WriteNumber("lieSlot", lieSlot);
        w.WriteNumber("lieStep", lieStep ?? 0);
        w.WriteNumber("winner", result.Winner == Role.Submitter ? 1 : 2); // the contract's Side enum
        w.WriteNumber("slots", submitter.Length);
        w.WriteNumber("pinnedSlot", result.Game.Slot);
        w.WriteNumber("steps", result.Game.Steps);
        w.WriteNumber("pinnedStep", result.Game.Lo);
        w.WriteNumber("roundBound", Bisection.Rounds(submitter.Length, k) + Bisection.Rounds((long)result.Game.Steps, k));
        w.WriteNumber("moveCount", result.Moves.Count);
        w.WriteStartArray("moves");
        foreach (var (_, move) in result.Moves)
        {
            w.WriteStartObject();
            switch (move)
            {
                case BisectMove b:
                    w.WriteNumber("kind", (int)Kind.Bisect);
                    Roots(w, "roots", b.Roots);
                    break;
                case ChooseMove c:
                    w.WriteNumber("kind", (int)Kind.Choose);
                    w.WriteNumber("choice", c.Index);
                    break;
                case TransitionMove t:
                    w.WriteNumber("kind", (int)Kind.Transition);
                    w.WriteString("outRoot", t.OutRoot.ToString());
                    Roots(w, "siblings", t.Siblings);
                    break;
                case LinkMove l:
                    w.WriteNumber("kind", (int)Kind.Link);
                    w.WriteString("descriptor", Hex(l.Descriptor));
                    Roots(w, "descriptorProof", l.DescriptorProof);
                    Roots(w, "inputRoots", l.InputRoots);
                    w.WriteStartArray("inputProofs");
                    foreach (var p in l.InputProofs)
                    {
                        w.WriteStartArray();
                        foreach (var h in p) w.WriteStringValue(h.ToString());
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                    break;
                case ClaimFinalMove f:
                    w.WriteNumber("kind", (int)Kind.ClaimFinal);
                    w.WriteString("finalState", Hex(f.FinalState));
                    Roots(w, "outputProof", f.OutputProof);
                    break;
                case StepMove s:
                    w.WriteNumber("kind", (int)Kind.Step);
                    w.WriteString("state", Hex(s.State));
                    w.WriteString("proofs", Hex(s.Proofs));
                    break;
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Roots(Utf8JsonWriter w, string name, IEnumerable<Hash256> roots)
    {
        w.WriteStartArray(name);
        foreach (var h in roots) w.WriteStringValue(h.ToString());
        w.WriteEndArray();
    }

    private static string Hex(ReadOnlySpan<byte> b) => "0x" + Convert.ToHexStringLower(b);
}
