using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>Greedy text of the int8 engine beside llama.cpp's greedy text (F32 GGUF) from the same prompts.</summary>
public sealed class GgufGreedyTextTests(ITestOutputHelper output) : IDisposable
{
    public static readonly string[] Prompts = ["In the beginning God", "And I saw a new heaven", "Blessed are the", "The LORD is my shepherd;"];
    private const int NewTokens = 80;
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-greedy").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Int8_greedy_text_starts_like_llama_cpp()
    {
        var import = GgufImportAccuracyTests.ImportKjv("f32");
        var path = Path.Combine(_dir, "kjv.opml");
        ModelWriter.Write(path, import.Model);
        using var m = ModelReader.Open(path);
        using var cpp = new LlamaCpp(KjvModel.Gguf("f32"));
        var vocab = new GgufByteVocab(import.Config.Tokens, import.Config.TokenTypes);
        int sameStart = 0;
        foreach (var prompt in Prompts)
        {
            var tokens = vocab.Encode(prompt);
            var input = TaskInput.FromTokens(m, tokens);
            int passes = tokens.Length + NewTokens - 1;
            var run = new GraphRunner(m).Run(input.Bytes, passes, new GraphRunOptions { RecordRoots = false });
            var ours = input.GeneratedTokens(run.Output.ToInts(), passes).ToList();
            var theirs = cpp.Greedy(tokens, NewTokens);
            int common = ours.Zip(theirs).TakeWhile(p => p.First == p.Second).Count();
            if (common >= 16) sameStart++;
            output.WriteLine($"prompt   {prompt}");
            output.WriteLine($"int8     {prompt}{vocab.Decode(ours).Replace("\n", "⏎")}");
            output.WriteLine($"llama.cpp {prompt}{vocab.Decode(theirs).Replace("\n", "⏎")}");
            output.WriteLine($"         first {common} of {NewTokens} generated tokens identical");
            Assert.Equal(NewTokens, ours.Count);
        }
        Assert.True(sameStart >= Prompts.Length / 2, $"only {sameStart} of {Prompts.Length} prompts agree on their first 16 generated tokens");
    }
}
