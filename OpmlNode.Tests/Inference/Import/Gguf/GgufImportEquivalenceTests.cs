using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>The imported KJV model is bit for bit the same model on CPU, the scalar reference, ILGPU and the RV32IM VM.</summary>
public sealed class GgufImportEquivalenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-equiv").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_backend_gives_the_same_slot_roots()
    {
        var import = GgufImportAccuracyTests.ImportKjv("q8_0");
        var path = Path.Combine(_dir, "kjv.opml");
        ModelWriter.Write(path, import.Model);
        using var m = ModelReader.Open(path);
        var input = ModelSynth.PromptInput("In the"u8.ToArray().Select(b => (int)b).ToArray());
        const int passes = 8;
        var cpu = ModelEquivalence.AssertBackendsAgree(m, input, passes);
        // The VM: every node of the last pass from its committed start state (what a dispute's phase 2 runs).
        ModelEquivalence.AssertVmAgrees(m, input, passes, cpu, Enumerable.Range(0, m.Nodes.Count).Select(j => cpu.SlotCount - m.Nodes.Count + j));
    }
}
