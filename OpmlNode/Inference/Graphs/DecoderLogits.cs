using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Graphs;

/// <summary>
/// The integer logits of a decoder (the output of the node its Argmax reads) at every position of a token sequence:
/// one run of <c>tokens.Count</c> passes with the whole sequence as the prompt, so pass p sees token p (teacher
/// forcing) and its logits predict token p + 1. For accuracy measurements; roots are not recorded.
/// </summary>
public static class DecoderLogits
{
    /// <summary>The node whose output feeds the decoder's Argmax.</summary>
    public static int LogitsNode(IModel model)
    {
        var arg = model.Nodes.Select((d, j) => (d, j)).LastOrDefault(t => t.d.Op == OpCode.Argmax);
        if (arg.d is null || arg.d.Inputs[0].Kind != RefKind.Node) throw new ArgumentException($"{model.Architecture} has no Argmax over a node");
        return (int)arg.d.Inputs[0].Index;
    }

    public static int[][] Run(IModel model, IReadOnlyList<int> tokens, IOpBackend? backend = null)
    {
        if (model.Kind != ArchitectureKind.Llama) throw new ArgumentException($"{model.Architecture} is not a decoder");
        int node = LogitsNode(model), n = model.Nodes.Count;
        var spec = model.Nodes[node].Output;
        var result = new int[tokens.Count][];
        var runner = new GraphRunner(model, backend);
        runner.Run(ModelSynth.PromptInput(tokens), tokens.Count, new GraphRunOptions
        {
            RecordRoots = false,
            SlotCompleted = (g, bytes) =>
            {
                if (g % n != node) return;
                result[g / n] = new QTensor(spec, bytes.ToArray()).ToInts();
            },
        });
        return result;
    }
}
