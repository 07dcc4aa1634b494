using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference;

/// <summary>Temp directory with synthetic model files, deleted on dispose.</summary>
public sealed class ModelTempDir : IDisposable
{
    public ModelTempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "opml-model-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a synthetic model and returns its path.</summary>
    public string Synth(ArchitectureKind arch, string preset = "tiny", int seed = 1, string? name = null)
    {
        var path = File(name ?? $"{arch}-{preset}-{seed}.opml");
        ModelWriter.Write(path, ModelSynth.Build(arch, preset, seed));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
