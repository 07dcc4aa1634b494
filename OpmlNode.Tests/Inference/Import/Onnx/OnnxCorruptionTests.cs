using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>
/// A damaged ONNX file is refused with an OnnxImportException or imports as a model that validates and runs: never
/// another exception (a crash), whatever bytes the damage hits. Seeded byte flips and truncations of the committed
/// PyTorch encoder, weighted towards its graph structure (the file's first and last 8 KB) where a flip changes more
/// than a weight.
/// </summary>
public sealed class OnnxCorruptionTests(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onnx-corrupt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EveryDamagedEncoderIsAClearErrorOrAModelThatRuns()
    {
        var dir = Repo.Path("models", "onnx-torch", "encoder");
        var good = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
        var sets = Directory.GetDirectories(Path.Combine(dir, "calibrate")).Order(StringComparer.Ordinal).Take(3).ToArray();
        var rng = new Random(20261201);
        int refused = 0, imported = 0;
        var failures = new List<string>();
        for (int i = 0; i < 240; i++)
        {
            var b = (byte[])good.Clone();
            string what;
            if (i % 6 == 5)
            {
                b = b[..rng.Next(b.Length)];
                what = $"truncated to {b.Length}";
            }
            else
            {
                int flips = 1 + rng.Next(3);
                var at = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int p = rng.Next(3) switch { 0 => rng.Next(8192), 1 => b.Length - 1 - rng.Next(8192), _ => rng.Next(b.Length) };
                    b[p] ^= (byte)rng.Next(1, 256);
                    at.Add(p);
                }
                what = $"bytes {string.Join(", ", at)} flipped";
            }
            try
            {
                var model = OnnxModel.Parse(b, $"damaged-{i}.onnx");
                var samples = sets.Select(s => (IReadOnlyDictionary<string, OnnxTensor>)model.Inputs
                    .Select((inp, k) => (inp.Name, T: OnnxModel.LoadTensor(Path.Combine(s, $"input_{k}.pb")))).ToDictionary(x => x.Name, x => x.T)).ToList();
                var r = OnnxImport.Run(model, samples, new OnnxImportOptions { MaxSequence = 16 });
                var path = Path.Combine(_dir, $"m{i}.opml");
                ModelWriter.Write(path, r.Model);
                using (var m = ModelReader.Open(path))
                    new GraphRunner(m, new CpuBackend()).Run(new byte[m.InputSizeLimit], 1);
                File.Delete(path);
                imported++;
            }
            catch (OnnxImportException e)
            {
                Assert.StartsWith("ONNX: ", e.Message);
                refused++;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add($"#{i} ({what}): {e.GetType().Name}: {e.Message}");
            }
        }
        log.WriteLine($"{refused} refused, {imported} imported and ran");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refused >= 40 && imported >= 40, $"{refused} refused, {imported} imported: the damage should hit both structure and weights");
    }
}
