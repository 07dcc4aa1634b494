namespace OpmlNode.Inference.Import.Onnx;

/// <summary>How to import: the output, the fixed sequence length of text encoders, frozen inputs, the step budget.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The graph output to import (default: the first).</summary>
    public string? Output { get; init; }

    /// <summary>Sequence length L of a text encoder's task input (I32 [L] token ids, pad 0).</summary>
    public int MaxSequence { get; init; } = 128;

    /// <summary>Graph inputs bound to constants at import (weights that a test harness passes as inputs).</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Frozen { get; init; } = new Dictionary<string, OnnxTensor>();

    /// <summary>Tiling budget (OPS §4): VM steps one MatMul node may take in the guest.</summary>
    public long MaxStepsPerNode { get; init; } = 1L << 26;

    /// <summary>Architecture name written into the .opml header.</summary>
    public string? Architecture { get; init; }

    /// <summary>
    /// Calibration: the fraction of the largest magnitude seen that maps to int8 ±127 for activations (1 = max-abs).
    /// </summary>
    public double ClipFraction { get; init; } = 1.0;

    /// <summary>
    /// Calibration: the quantile of |x| that maps to int8 ±127 for activations (1 = max-abs; the GGUF importer uses
    /// 0.9999). I16 values (the residual stream into a LayerNorm) always use 1.5 × max-abs.
    /// </summary>
    public double ActivationQuantile { get; init; } = 1.0;

    /// <summary>
    /// SmoothQuant exponent α for a LayerNorm output read only by MatMuls (and its I16 residual twin): channel k is
    /// divided by max|X_k|^α / max|W_k|^(1−α) in the Norm's gamma and beta and multiplied back into the weights'
    /// column k, so outlier channels stop setting the one int8 scale of the MatMul input (null = off).
    /// </summary>
    public double? SmoothingAlpha { get; init; } = 0.65;

    /// <summary>
    /// Offset (zero-point) int8 activations where every reader folds the offset (MatMul bias, Lut table): the 256
    /// codes span the calibrated [min, max] instead of ±max-abs (GELU's skewed input and output).
    /// </summary>
    public bool OffsetActivations { get; init; } = true;

    /// <summary>
    /// At most this many channel groups, each with its own int8 scale, offset and Lut, for a MatMul → Lut → MatMul
    /// chain with outlier channels (GELU of MiniLM's FFN; 1 = off).
    /// </summary>
    public int ChannelGroups { get; init; } = 3;
}
