namespace OpmlNode.Inference.Backends;

/// <summary>
/// Exit codes of the <c>opml-ops</c> guest (guest/ops/ops.h, guest/ops/README.md). 0 is success; 1..13 mean the
/// descriptor is invalid (OPS §2, §5), one code per error class; the first failing check decides.
/// </summary>
public static class GuestExitCodes
{
    // One code per error class, in the order the guest checks (guest/ops/ops.h).
    public const int Ok = 0, BadMagic = 1, BadVersion = 2, UnknownOp = 3, TooManyInputs = 4, NonCanonical = 5, BadElementType = 6,
        BadRank = 7, BadDim = 8, BadReference = 9, WrongArity = 10, OpTypeRule = 11, OpShapeRule = 12, OpParamRule = 13;

    public static bool IsInvalidDescriptor(int code) => code is >= BadMagic and <= OpParamRule;

    public static string Describe(int code) => code switch
    {
        Ok => "ok",
        BadMagic => "bad magic",
        BadVersion => "unsupported version",
        UnknownOp => "unknown op code",
        TooManyInputs => "nInputs > 8",
        NonCanonical => "non-canonical descriptor (nonzero reserved byte, unused dim, unused input record or unused param)",
        BadElementType => "invalid element type",
        BadRank => "rank not in 1..4",
        BadDim => "dim 0 or > 2^28, or tensor larger than 2^28 bytes",
        BadReference => "invalid input reference (kind, lag or TASK_INPUT index)",
        WrongArity => "wrong number of inputs for the op",
        OpTypeRule => "element type not allowed by the op",
        OpShapeRule => "op shape rule violated",
        OpParamRule => "op parameter rule violated",
        _ => "unknown exit code",
    };
}
