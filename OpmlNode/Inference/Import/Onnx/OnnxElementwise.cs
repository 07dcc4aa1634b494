namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// The elementwise ONNX ops the importer knows, as float functions: the float evaluator applies them and the importer
/// turns chains of them over one int8 activation into a single Lut node (the table is the chain evaluated at the 256
/// int8 points).
/// </summary>
public static class OnnxElementwise
{
    /// <summary>The function of a unary op (with its attributes), or null if the op is not a unary elementwise op.</summary>
    public static Func<double, double>? Unary(OnnxNode n)
    {
        double alpha(double d) => n.Float("alpha", (float)d);
        return n.OpType switch
        {
            "Identity" => x => x,
            "Relu" => x => Math.Max(x, 0),
            "Sigmoid" => x => 1 / (1 + Math.Exp(-x)),
            "Tanh" => Math.Tanh,
            "Erf" => Erf,
            "Exp" => Math.Exp,
            "Log" => Math.Log,
            "Neg" => x => -x,
            "Abs" => Math.Abs,
            "Sqrt" => Math.Sqrt,
            "Reciprocal" => x => 1 / x,
            "Sin" => Math.Sin,
            "Cos" => Math.Cos,
            "Tan" => Math.Tan,
            "Asin" => Math.Asin,
            "Acos" => Math.Acos,
            "Atan" => Math.Atan,
            "Sinh" => Math.Sinh,
            "Cosh" => Math.Cosh,
            "Asinh" => Math.Asinh,
            "Acosh" => Math.Acosh,
            "Atanh" => Math.Atanh,
            "Softsign" => x => x / (1 + Math.Abs(x)),
            "Softplus" => x => Math.Log(1 + Math.Exp(x)),
            "Floor" => Math.Floor,
            "Ceil" => Math.Ceiling,
            "Round" => x => Math.Round(x, MidpointRounding.ToEven),
            "Sign" => x => Math.Sign(x),
            "Elu" => x => { double a = alpha(1); return x >= 0 ? x : a * (Math.Exp(x) - 1); }
            ,
            "Celu" => x => { double a = alpha(1); return Math.Max(0, x) + Math.Min(0, a * (Math.Exp(x / a) - 1)); }
            ,
            "Selu" => x => { double a = alpha(1.67326319217681884765625), g = n.Float("gamma", 1.05070102214813232421875f); return x > 0 ? g * x : g * (a * Math.Exp(x) - a); }
            ,
            "LeakyRelu" => x => { double a = alpha(0.01); return x >= 0 ? x : a * x; }
            ,
            "ThresholdedRelu" => x => x > alpha(1) ? x : 0,
            "HardSigmoid" => x => Math.Clamp(alpha(0.2) * x + n.Float("beta", 0.5f), 0, 1),
            "HardSwish" => x => x * Math.Clamp(x / 6 + 0.5, 0, 1),
            "Mish" => x => x * Math.Tanh(Math.Log(1 + Math.Exp(x))),
            _ => null,
        };
    }

    /// <summary>The function of a binary elementwise op, or null.</summary>
    public static Func<double, double, double>? Binary(string op) => op switch
    {
        "Add" or "Sum" => (a, b) => a + b,
        "Sub" => (a, b) => a - b,
        "Mul" => (a, b) => a * b,
        "Div" => (a, b) => a / b,
        "Pow" => Math.Pow,
        "Max" => Math.Max,
        "Min" => Math.Min,
        "Mean" => (a, b) => a + b, // the evaluator divides by the input count
        "PRelu" => (x, slope) => x < 0 ? slope * x : x,
        _ => null,
    };

    /// <summary>erf(x): its Taylor series below |x| = 3 (error about 1e-13), the asymptotic series of erfc above (about 1e-8).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            double sum = 0, term = x; // term_n = (−1)^n x^(2n+1) / n!
            for (int n = 0; n < 60; n++)
            {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
                term *= -x * x / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        double z = 1 / (2 * ax * ax);
        double series = 1 - z * (1 - 3 * z * (1 - 5 * z * (1 - 7 * z)));
        double erfc = Math.Exp(-ax * ax) / (ax * Math.Sqrt(Math.PI)) * series;
        return Math.Sign(x) * (1 - erfc);
    }
}
