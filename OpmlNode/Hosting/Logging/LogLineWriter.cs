using System.Text;
using Microsoft.Extensions.Logging;

namespace OpmlNode.Hosting.Logging;

/// <summary>A <see cref="TextWriter"/> whose lines become Information log events (a library's progress output, e.g.
/// the weight-root hashing of a large model, in the node's structured log).</summary>
public sealed class LogLineWriter(ILogger log, ulong modelId) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n') Flush();
        else if (value != '\r') _line.Append(value);
    }

    public override void Flush()
    {
        if (_line.Length == 0) return;
        log.LogInformation("Model {ModelId}: {Progress}", modelId, _line.ToString().Trim());
        _line.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }
}
