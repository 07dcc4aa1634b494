namespace OpmlNode.Inference.Backends;

/// <summary>Which vector path the CPU backend may use; capped by what the hardware supports.</summary>
public enum SimdLevel
{
    Scalar = 0,
    /// <summary>Portable Vector128 widening (SSE4.1 / AdvSimd).</summary>
    Vector128 = 1,
    /// <summary>AVX2: vpmovsxbw + vpmaddwd on 256-bit vectors.</summary>
    Avx2 = 2,
    /// <summary>AVX-512BW: vpmovsxbw + vpmaddwd on 512-bit vectors.</summary>
    Avx512 = 3,
}
