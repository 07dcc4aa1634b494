using System.Globalization;
using System.Text.Json;
using ScottPlot;
using SkiaSharp;

namespace OpmlNode.Bench;

/// <summary>
/// `opml-node bench plot`: the dispute figures of `bench dispute --json` against model size, log-log, in three panels
/// (wall time of the dispute, peak resident memory per node, gas of the whole game), with the published figures of
/// the seed opML (MNIST under a minute; a 7B challenge in about 20 minutes with 32 GB) and of zkML (zkLLM: a 13B proof
/// in about 15 minutes on an A100; DeepProve: GPT-2 at 0.5 tokens/s) beside ours. Drawn with ScottPlot.
/// </summary>
public static class ScalePlot
{
    /// <summary>Published figures drawn beside ours: (label, parameters, seconds or null, GiB or null).</summary>
    public static readonly IReadOnlyList<(string Label, double Parameters, double? Seconds, double? GiB)> Published =
    [
        ("opML seed: MNIST < 1 min", 0.1e6, 60, null),
        ("opML seed: 7B, 20 min, 32 GB", 7e9, 1200, 32),
        ("zkLLM: 13B, ~15 min (A100)", 13e9, 900, null),
        ("DeepProve: GPT-2, 0.5 tok/s", 124e6, 2, null),
    ];

    /// <summary>Reads every *.json summary in <paramref name="dir"/> and writes the PNG; returns the runs drawn.</summary>
    public static int Draw(string dir, string png, int width = 1500, int height = 480)
    {
        var runs = Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal)
            .Select(f => JsonSerializer.Deserialize<DisputeBenchSummary>(File.ReadAllText(f)) ?? throw new InvalidDataException($"{f}: not a bench dispute summary"))
            .ToList();
        if (runs.Count == 0) throw new InvalidDataException($"{dir} holds no bench dispute summaries (*.json from `bench dispute --json`)");
        var panels = new[]
        {
            Panel("Dispute wall time (request to rejection)", "seconds", runs, r => r.DisputeSeconds, Published.Where(p => p.Seconds is not null).Select(p => (p.Label, p.Parameters, p.Seconds!.Value))),
            Panel("Peak resident memory per node", "MiB", runs, r => r.PeakRssMiB, Published.Where(p => p.GiB is not null).Select(p => (p.Label, p.Parameters, p.GiB!.Value * 1024))),
            Panel("Gas of the whole game (all parties)", "gas", runs, r => r.Gas, []),
        };
        using var canvasBitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            canvas.Clear(SKColors.White);
            int w = width / panels.Length;
            for (int i = 0; i < panels.Length; i++)
            {
                using var bitmap = SKBitmap.Decode(panels[i].GetImage(w, height).GetImageBytes());
                canvas.DrawBitmap(bitmap, i * w, 0);
            }
        }
        using var image = SKImage.FromBitmap(canvasBitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using (var f = File.Create(png)) data.SaveTo(f);
        return runs.Count;
    }

    private static Plot Panel(string title, string unit, List<DisputeBenchSummary> runs, Func<DisputeBenchSummary, double> y,
        IEnumerable<(string Label, double Parameters, double Value)> published)
    {
        var plot = new Plot();
        plot.Title(title, size: 14);
        plot.XLabel("parameters (log)");
        plot.YLabel($"{unit} (log)");
        var publishedList = published.ToList();
        var logs = runs.Select(r => Math.Log10(Math.Max(1e-3, y(r)))).Concat(publishedList.Select(p => Math.Log10(p.Value))).ToList();
        bool decades = logs.Max() - logs.Min() >= 1; // ticks at powers of ten, unless the figures span less than one
        var palette = new ScottPlot.Palettes.Category10();
        int c = 0;
        foreach (var byK in runs.GroupBy(r => r.K).OrderBy(g => g.Key))
        {
            var points = byK.OrderBy(r => r.Parameters).ToList();
            var s = plot.Add.Scatter(points.Select(r => Math.Log10(r.Parameters)).ToArray(), points.Select(r => Math.Log10(Math.Max(1e-3, y(r)))).ToArray());
            s.LegendText = string.Create(CultureInfo.InvariantCulture, $"ours, k = {byK.Key} (2 cores, no GPU)");
            s.Color = palette.GetColor(c++);
            s.MarkerSize = 8;
        }
        foreach (var (label, parameters, value) in publishedList)
        {
            var m = plot.Add.Marker(Math.Log10(parameters), Math.Log10(value));
            m.LegendText = label;
            m.Color = palette.GetColor(c++);
            m.MarkerSize = 11;
            m.MarkerShape = MarkerShape.FilledDiamond;
        }
        foreach (ScottPlot.IAxis axis in new ScottPlot.IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = axis == plot.Axes.Bottom || decades,
                LabelFormatter = v => Pow10Label(v),
            };
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static string Pow10Label(double log10)
    {
        double v = Math.Pow(10, log10);
        var (scaled, suffix) = v >= 1e9 ? (v / 1e9, "G") : v >= 1e6 ? (v / 1e6, "M") : v >= 1e3 ? (v / 1e3, "k") : (v, "");
        return scaled.ToString(suffix.Length == 0 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + suffix;
    }
}
