using OpmlNode.Inference.Models;

namespace OpmlNode.Bench;

/// <summary>
/// The model a benchmark runs on: the file given, or llama/100m (seed 1) synthesised into a temp file that is deleted,
/// with its roots cache, when this is disposed.
/// </summary>
public sealed class BenchModel : IDisposable
{
    private readonly string? _temp;

    public BenchModel(string? path, string bench, TextWriter? log)
    {
        if (path is null)
        {
            _temp = path = Path.Combine(Path.GetTempPath(), $"opml-{bench}-bench-{Environment.ProcessId}.opml");
            log?.WriteLine("synthesising llama/100m (seed 1) ...");
            ModelWriter.Write(path, ModelSynth.Build(ArchitectureKind.Llama, "100m", 1));
        }
        Model = ModelReader.Open(path);
    }

    public ModelReader Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        if (_temp is null) return;
        File.Delete(_temp);
        File.Delete(ModelRoots.SidecarPath(_temp));
    }
}
