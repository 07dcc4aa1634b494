namespace OpmlNode.Inference.Import.Onnx;

/// <summary>The import pipeline: live subgraph of the output, calibration on samples (float evaluator), lowering.</summary>
public static class OnnxImport
{
    /// <summary>Imports with calibration on <paramref name="samples"/> (each a full set of graph inputs; frozen ones may be left out).</summary>
    public static OnnxImportResult Run(OnnxModel model, IReadOnlyList<IReadOnlyDictionary<string, OnnxTensor>> samples, OnnxImportOptions options)
    {
        if (samples.Count == 0) throw new OnnxImportException("calibration needs at least one sample input");
        var output = OnnxImporter.OutputName(model, options);
        var live = OnnxImporter.LiveNodes(model, output);
        var withFrozen = samples.Select(s =>
        {
            var d = new Dictionary<string, OnnxTensor>(options.Frozen);
            foreach (var (k, v) in s) d[k] = v;
            return (IReadOnlyDictionary<string, OnnxTensor>)d;
        }).ToList();
        var cal = OnnxCalibration.Run(model, withFrozen, live, keepSamples: options.ActivationQuantile < 1);
        var shapes = samples[0].ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        return OnnxImporter.Import(model, cal, options, shapes);
    }

    /// <summary>The graph inputs of a BERT-style text encoder for one tokenised sentence (no padding).</summary>
    public static IReadOnlyDictionary<string, OnnxTensor> TextSample(OnnxModel model, IReadOnlyList<int> ids)
    {
        int n = ids.Count;
        var d = new Dictionary<string, OnnxTensor> { ["input_ids"] = OnnxTensor.Int([1, n], ids.Select(i => (long)i).ToArray()) };
        if (model.Inputs.Any(i => i.Name == "attention_mask")) d["attention_mask"] = OnnxTensor.Int([1, n], Enumerable.Repeat(1L, n).ToArray());
        if (model.Inputs.Any(i => i.Name == "token_type_ids")) d["token_type_ids"] = OnnxTensor.Int([1, n], new long[n]);
        return d;
    }
}
