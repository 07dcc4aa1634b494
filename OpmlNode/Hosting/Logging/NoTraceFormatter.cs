using Serilog.Events;
using Serilog.Formatting;

namespace OpmlNode.Hosting.Logging;

/// <summary>
/// Formats events of the .NET host itself (source context <c>Microsoft.Extensions.Hosting…</c>, e.g. "Hosting failed
/// to start" for an invalid setting) without the exception's stack trace: the event keeps the message as an
/// <c>Error</c> property, and the command prints the one clean <c>error:</c> line. The node's own events never carry
/// exceptions (they log messages), so nothing else changes.
/// </summary>
public sealed class NoTraceFormatter(ITextFormatter inner) : ITextFormatter
{
    public void Format(LogEvent e, TextWriter output)
    {
        if (e.Exception is { } ex && e.Properties.TryGetValue("SourceContext", out var sc)
            && sc is ScalarValue { Value: string ctx } && ctx.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal))
        {
            var props = e.Properties.Select(p => new LogEventProperty(p.Key, p.Value))
                .Append(new LogEventProperty("Error", new ScalarValue(Flatten(ex))));
            e = new LogEvent(e.Timestamp, e.Level, null, e.MessageTemplate, props);
        }
        inner.Format(e, output);
    }

    private static string Flatten(Exception ex) => ex is AggregateException { InnerExceptions.Count: 1 } a ? Flatten(a.InnerExceptions[0]) : ex.Message;
}
