namespace OpmlNode.Inference;

/// <summary>Tensor element types (OPS §1.2). Values are the wire codes.</summary>
public enum ElemType : byte
{
    I8 = 1,
    I16 = 2,
    I32 = 3,
}
