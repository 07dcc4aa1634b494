using OpmlNode.Cli;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;

namespace OpmlNode.Tests.Cli;

[Collection("Console")]
public class ModelCliTests : IDisposable
{
    private readonly ModelTempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CommandLine.Invoke(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void SynthInfoInferAndCleanErrors()
    {
        var path = _dir.File("t.opml");
        var r = Run("model", "synth", "--arch", "llama", "--preset", "tiny", "--seed", "2", "--out", path);
        Assert.Equal(0, r.Code);
        Assert.Contains("weights root", r.Out);
        r = Run("model", "info", path);
        Assert.Equal(0, r.Code);
        Assert.Contains("TokenSelect", r.Out);
        r = Run("infer", "--model", path, "--input-tokens", "1,2,3", "--passes", "5");
        Assert.Equal(0, r.Code);
        Assert.Contains("S_N = 0x", r.Out);
        var scalar = Run("infer", "--model", path, "--input-tokens", "1,2,3", "--passes", "5", "--backend", "scalar");
        Assert.Equal(r.Out.Split('\n').Last(l => l.Contains("S_N")), scalar.Out.Split('\n').Last(l => l.Contains("S_N")));
        // Raw input file = the same bytes as --input-tokens.
        var inFile = _dir.File("in.bin");
        File.WriteAllBytes(inFile, ModelSynth.PromptInput([1, 2, 3]));
        var raw = Run("infer", "--model", path, "--input", inFile, "--passes", "5");
        Assert.Equal(r.Out.Split('\n').Last(l => l.Contains("S_N")), raw.Out.Split('\n').Last(l => l.Contains("S_N")));

        File.WriteAllBytes(_dir.File("bad.opml"), [1, 2, 3]);
        foreach (var args in new[]
        {
            new[] { "model", "info", _dir.File("bad.opml") },
            ["model", "info", _dir.File("nope.opml")],
            ["infer", "--model", path, "--input-tokens", "x,y"],
            ["infer", "--model", path, "--input-tokens", "1", "--passes", "0"],
            ["infer", "--model", path, "--input", _dir.File("bad.opml"), "--input-random", "1"],
            ["infer", "--model", path, "--input", _dir.File("t.opml")], // larger than the input size limit
            ["model", "synth", "--arch", "gpt", "--out", _dir.File("x.opml")],
            ["model", "synth", "--arch", "mlp", "--preset", "7b", "--out", _dir.File("x.opml")],
        })
        {
            r = Run(args);
            Assert.True(r.Code == 2, $"{string.Join(' ', args)} → {r.Code}: {r.Err}");
            Assert.StartsWith("error: ", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
    }
}
