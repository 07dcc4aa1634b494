using System.Runtime.InteropServices;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;

namespace OpmlNode.Hosting.Devnet;

/// <summary>
/// A text task for the devnet: a LLaMA imported with its vocabulary (model import-gguf), the prompt's tokens, the
/// passes (prompt + new tokens − 1), and the text this machine's honest engine generates — what the final result must say.
/// </summary>
internal sealed class DevnetText
{
    private readonly ITextVocab _vocab;

    private DevnetText(ITextVocab vocab, TaskInput input, int passes, string expected) =>
        (_vocab, Input, Passes, Expected) = (vocab, input, passes, expected);

    public TaskInput Input { get; }
    public int Passes { get; }

    /// <summary>The generated text, quoted, as <see cref="Describe"/> tells an output.</summary>
    public string Expected { get; }

    /// <exception cref="ArgumentException">the model is not a LLaMA with a vocabulary beside it, or the prompt is too long.</exception>
    public static DevnetText For(ModelReader model, string prompt, int maxTokens)
    {
        if (model.Kind != ArchitectureKind.Llama) throw new ArgumentException($"--prompt needs a LLaMA; {model.Architecture} is not one (import one: opml-node model import-gguf models/llama-kjv/llama-kjv-f32.gguf --out kjv.opml)");
        var file = ModelVocabFile.TryRead(model.Path)
            ?? throw new ArgumentException($"--prompt needs the model's vocabulary {Path.GetFileName(ModelVocabFile.PathFor(model.Path))} beside it (written by model import-gguf)");
        if (maxTokens < 1) throw new ArgumentException("--max-tokens must be at least 1");
        var vocab = file.Vocab();
        var input = TaskInput.FromTokens(model, vocab.Encode(prompt));
        int passes = input.PromptLength + maxTokens - 1;
        if (passes > model.DefaultPasses) throw new ArgumentException($"the prompt ({input.PromptLength} tokens) + {maxTokens} new tokens exceed the model's {model.DefaultPasses} positions");
        var t = new DevnetText(vocab, input, passes, "");
        var run = new GraphRunner(model).Run(input.Bytes, passes);
        return new DevnetText(vocab, input, passes, t.Describe(run.Output.Data));
    }

    /// <summary>A submitted output (the token buffer) as the text it generates after the prompt.</summary>
    public string Describe(byte[] output)
    {
        if (output.Length % 4 != 0) return $"{output.Length} bytes";
        var tokens = MemoryMarshal.Cast<byte, int>(output).ToArray();
        return "\"" + _vocab.DecodePieces(Input.GeneratedTokens(tokens, Passes)).ReplaceLineEndings(" ") + "\"";
    }
}
