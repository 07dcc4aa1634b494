using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Hosting;

/// <summary>`opml-node devnet` as a user runs it: the whole system up, a liar caught, exit 0, a readable story.</summary>
[Collection("nodes")]
public sealed class DevnetTests
{
    [Theory]
    [InlineData("slot", "mnist", "the submitter's claim is false")]
    [InlineData("challenger", "mnist", "the submitter's claim holds")]
    [InlineData("slot", "fashion-mnist", "the submitter's claim is false")]
    public void TheDevnetCatchesTheLiar(string liar, string model, string stepVerdict)
    {
        var dir = Directory.CreateTempSubdirectory("opml-devnet-test-").FullName;
        try
        {
            var (code, stdout, stderr) = OpmlNodeCli.Run("devnet", "--liar", liar, "--contracts", Repo.Path("contracts"),
                "--model", Repo.Path("models", model, model + ".opml"), "--dir", dir);
            Assert.True(code == 0, $"devnet exited {code}\n{stdout}\n{stderr}");
            foreach (var expected in new[] { "requested task 1", "challenges result 1", "phase 1 round 1/", "link: slot", "phase 2 round 1/",
                         "one RISC-V step executed on chain", stepVerdict, "FINAL: result", "result: every task final with the honest result, the liar lost its bond" })
                Assert.Contains(expected, stdout);
            if (liar == "slot") Assert.Contains("rejected; its submitter's bond is gone", stdout);
            Assert.Contains(model == "mnist" ? "held-out digit #" : "held-out image #", stdout);
            if (model != "mnist") Assert.Matches(@"label \d \((T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\)", stdout);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void TheDevnetServesATextTaskWithTheTrainedLlamaAndCatchesTheLiar()
    {
        var dir = Directory.CreateTempSubdirectory("opml-devnet-text-").FullName;
        try
        {
            var kjv = Path.Combine(dir, "kjv.opml");
            var import = OpmlNodeCli.Run("model", "import-gguf", Repo.Path("models", "llama-kjv", "llama-kjv-f32.gguf"),
                "--calibrate", Repo.Path("models", "llama-kjv", "calibration-kjv.txt"), "--out", kjv);
            Assert.True(import.Code == 0, import.Err);
            var (code, stdout, stderr) = OpmlNodeCli.Run("devnet", "--liar", "slot", "--contracts", Repo.Path("contracts"), "--model", kjv,
                "--prompt", "And I saw", "--max-tokens", "12", "--dir", Path.Combine(dir, "net"));
            Assert.True(code == 0, $"devnet exited {code}\n{stdout}\n{stderr}");
            foreach (var expected in new[] { "requested task 1: \"And I saw\" + 12 tokens", "phase 1 round 1/", "link: slot", "phase 2 round 1/",
                         "the submitter's claim is false", "rejected; its submitter's bond is gone", "FINAL: result 2 by honest",
                         "result: every task final with the honest result, the liar lost its bond" })
                Assert.Contains(expected, stdout);
            // The summary shows the generated text, and it is what this engine generates for the prompt (checked by the devnet).
            Assert.Matches("honest +1 +.*\" the LORD", stdout);
            Assert.Equal(2, OpmlNodeCli.Run("devnet", "--prompt", "x", "--contracts", Repo.Path("contracts"), "--model", Repo.Path("models", "mnist", "mnist.opml"),
                "--dir", Path.Combine(dir, "bad")).Code);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
