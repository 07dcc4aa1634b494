namespace OpmlNode.Inference.Ops;

/// <summary>An elementwise formula (OPS §5.2–5.4): two sign-extended inputs to an unclamped int64, clamped by the caller.</summary>
public interface IElementwiseOperator
{
    long Apply(int a, int b);
}
