namespace OpmlNode.Inference;

/// <summary>Op codes (OPS §3). Values are the wire codes.</summary>
public enum OpCode : ushort
{
    MatMul = 1,
    Add = 2,
    Mul = 3,
    Requant = 4,
    Lut = 5,
    Norm = 6,
    Softmax = 7,
    Rope = 8,
    Attention = 9,
    Gather = 10,
    Argmax = 11,
    Concat = 12,
    ScatterRow = 13,
    Position = 14,
    TokenSelect = 15,
}
