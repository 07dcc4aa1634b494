using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// Lowers a float ONNX graph onto the integer op set (OPS §5) with activation scales from calibration. Constants and
/// shape arithmetic are folded; the exporters' subgraphs are recognised — MatMul/Gemm (+ bias Add) as a per-channel
/// int8 MatMul, LayerNorm (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div[/Mul/Add] or LayerNormalization) as Norm, any
/// chain of elementwise ops over one activation (GELU via Erf, Relu, Tanh, scalar arithmetic…) as one Lut, the
/// attention block (Q·Kᵀ, scaling, the padding mask, Softmax, ·V, with its reshapes and transposes) as Attention, the
/// embedding lookups with their constant addends as Gather + Add — and anything else is an
/// <see cref="OnnxImportException"/> naming the op and node, never a silently wrong model.
/// </summary>
public sealed partial class OnnxImporter
{
    /// <summary>Real value of one unit of the prescaled attention score (OPS §5.7 Δ): exp(−255Δ) ≈ 2.5e−5.</summary>
    private const double SoftmaxDelta = 1.0 / 24;

    private readonly OnnxModel _m;
    private readonly OnnxImportOptions _o;
    private readonly OnnxCalibration _cal;
    private readonly GraphBuilder _b;
    private readonly Dictionary<string, Val> _v = new();
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new();
    private readonly HashSet<int> _done = new();
    private readonly HashSet<int> _live;
    private readonly string _output;
    private InputRef? _ids;
    private InputRef? _exp;

    private OnnxImporter(OnnxModel m, OnnxCalibration cal, OnnxImportOptions o)
    {
        _m = m;
        _o = o;
        _cal = cal;
        _b = new GraphBuilder(o.MaxStepsPerNode);
        _output = OutputName(m, o);
        _live = LiveNodes(m, _output);
        foreach (var n in m.Nodes.Where(n => _live.Contains(n.Index)))
            foreach (var i in n.Inputs.Where(i => i.Length > 0).Distinct())
                (_consumers.TryGetValue(i, out var l) ? l : _consumers[i] = new()).Add(n);
        foreach (var (k, t) in m.Initializers) _v[k] = new ConstVal(t);
        foreach (var (k, t) in o.Frozen) _v[k] = new ConstVal(t);
    }

    public static string OutputName(OnnxModel m, OnnxImportOptions o)
    {
        var name = o.Output ?? m.Outputs[0].Name;
        if (m.Outputs.All(x => x.Name != name)) throw new OnnxImportException($"the graph has no output '{name}' (outputs: {string.Join(", ", m.Outputs.Select(x => x.Name))})");
        return name;
    }

    /// <summary>Indices of the nodes the output depends on.</summary>
    public static HashSet<int> LiveNodes(OnnxModel m, string output)
    {
        var producer = new Dictionary<string, OnnxNode>();
        foreach (var n in m.Nodes) foreach (var o in n.Outputs) producer[o] = n;
        var live = new HashSet<int>();
        var stack = new Stack<string>([output]);
        while (stack.Count > 0)
            if (producer.TryGetValue(stack.Pop(), out var n) && live.Add(n.Index))
                foreach (var i in n.Inputs) if (i.Length > 0) stack.Push(i);
        return live;
    }

    /// <summary>True for a text encoder: an int64 input named input_ids (BERT-style exports).</summary>
    public static bool IsTextEncoder(OnnxModel m) => m.Inputs.Any(i => i.Name == "input_ids" && i.ElementType == OnnxElementType.Int64);

    /// <summary>Imports with scales from <paramref name="cal"/>; float inputs take their shapes from <paramref name="inputShapes"/>.</summary>
    public static OnnxImportResult Import(OnnxModel m, OnnxCalibration cal, OnnxImportOptions o, IReadOnlyDictionary<string, int[]> inputShapes)
    {
        var imp = new OnnxImporter(m, cal, o);
        try
        {
            return imp.Run(inputShapes);
        }
        catch (Exception e) when (e is InvalidDescriptorException or ArgumentException)
        {
            throw new OnnxImportException($"unsupported graph inputs or output ({e.Message})");
        }
    }

    private OnnxImportResult Run(IReadOnlyDictionary<string, int[]> inputShapes)
    {
        bool text = IsTextEncoder(_m);
        var packed = BindInputs(text, inputShapes);
        // Fold what depends on constants alone first, so the pattern matchers see every constant operand.
        foreach (var n in _m.Nodes)
            if (_live.Contains(n.Index) && n.OpType != "Shape" && n.Inputs.All(i => i.Length == 0 || _v.GetValueOrDefault(i) is ConstVal))
            {
                Lower(n);
                _done.Add(n.Index);
            }
        foreach (var n in _m.Nodes)
        {
            if (!_live.Contains(n.Index) || _done.Contains(n.Index)) continue;
            if (n.Domain is not ("" or "ai.onnx")) throw OnnxImportException.Unsupported(n, $"domain '{n.Domain}'");
            Lower(n);
        }
        var outVal = Materialise(_v.TryGetValue(_output, out var ov) ? ov : throw new OnnxImportException($"output '{_output}' was not computed"), _output);
        if (outVal is not ActVal act) throw new OnnxImportException($"output '{_output}' is {Describe(outVal)}, not a computed tensor");
        act = Symmetric(act, _output);
        if (act.Layout != Layout.Plain) throw new OnnxImportException($"output '{_output}' is left in an attention head layout");
        if (act.Ref.Kind != RefKind.Node) act = Copy(act, act.Shape);
        int outNode = (int)act.Ref.Index;
        int inputBytes = text ? 4 * _o.MaxSequence : Math.Max(1, packed.Sum(p => OnnxTensor.CountOf(p.Shape)));
        var arch = _o.Architecture ?? $"onnx/{Path.GetFileNameWithoutExtension(_m.Source)}";
        var def = _b.Build(arch.Length > 32 ? arch[..32] : arch, outNode, inputBytes, 1);
        try
        {
            ModelFormat.ValidateGraph(def.Nodes, def.Weights.Select(w => w.Spec).ToArray(), def.OutputNode, def.InputSizeLimit);
        }
        catch (InvalidModelException e)
        {
            throw new OnnxImportException($"unsupported: the lowered graph is not a valid model ({e.Message})");
        }
        var info = new OnnxImportInfo(_m.Source, _output, act.Shape, act.Scale, text, text ? _o.MaxSequence : 0, packed);
        var counts = def.Nodes.GroupBy(d => d.Op.ToString()).ToDictionary(g => g.Key, g => g.Count());
        var probes = _v.Where(kv => kv.Value is ActVal { Ref.Kind: RefKind.Node } && !kv.Key.StartsWith('\0'))
            .Select(kv => (ActVal)kv.Value is var a ? new OnnxProbe(kv.Key, (int)a.Ref.Index, a.Scale, a.Layout != Layout.Plain, a.Offset, a.Channel, a.Offsets, a.Perm) : null!)
            .OrderBy(p => p.Node).ToList();
        return new OnnxImportResult(def, info, counts, probes);
    }

    // ------------------------------------------------------------------ inputs

    private List<PackedInput> BindInputs(bool text, IReadOnlyDictionary<string, int[]> inputShapes)
    {
        var packed = new List<PackedInput>();
        var floats = _m.Inputs.Where(i => !_o.Frozen.ContainsKey(i.Name)).ToList();
        if (text)
        {
            int L = _o.MaxSequence;
            _ids = InputRef.TaskInput(new TensorSpec(ElemType.I32, L));
            foreach (var i in floats)
                _v[i.Name] = i.Name switch
                {
                    "input_ids" => new IdsVal([1, L]),
                    "attention_mask" => new MaskVal([1, L], 0),
                    "token_type_ids" => new ConstVal(OnnxTensor.Int([1, L], new long[L])),
                    _ => throw new OnnxImportException($"unsupported input '{i.Name}' of a text encoder (only input_ids, attention_mask, token_type_ids)"),
                };
            return packed;
        }
        foreach (var i in floats)
        {
            if (i.ElementType is not (OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16))
                throw new OnnxImportException($"unsupported input '{i.Name}' of type {i.ElementType.ToString().ToLowerInvariant()} (only float activations, or int64 token ids of a text encoder)");
            if (!inputShapes.TryGetValue(i.Name, out var shape)) throw new OnnxImportException($"no shape for input '{i.Name}' (give a calibration sample)");
            packed.Add(new PackedInput(i.Name, shape, Scale(i.Name), packed.Sum(p => OnnxTensor.CountOf(p.Shape))));
        }
        int total = packed.Sum(p => OnnxTensor.CountOf(p.Shape));
        if (packed.Count == 1)
            _v[packed[0].Name] = new ActVal(InputRef.TaskInput(OnnxQuant.Spec2D(ElemType.I8, packed[0].Shape)), packed[0].Scale, packed[0].Shape);
        else
        {
            // One task input holds them all: each is a Gather of its elements from the [total, 1] view, reshaped by Requant.
            var whole = InputRef.TaskInput(new TensorSpec(ElemType.I8, total, 1));
            foreach (var p in packed)
            {
                int n = OnnxTensor.CountOf(p.Shape);
                var idx = _b.AddWeight(QTensor.I32([n], Enumerable.Range(p.Offset, n).ToArray()));
                int g = _b.Add(new TensorSpec(ElemType.I8, n, 1), [whole, idx], new GatherParams(First: 0));
                var a = new ActVal(_b.Node(g), p.Scale, [n, 1]);
                _v[p.Name] = OnnxQuant.Spec2D(ElemType.I8, p.Shape).Cols == 1 ? a with { Shape = p.Shape } : Copy(a, p.Shape);
            }
        }
        return packed;
    }

    // ------------------------------------------------------------------ dispatch

    private void Lower(OnnxNode n)
    {
        try
        {
            LowerNode(n);
        }
        catch (Exception e) when (e is InvalidDescriptorException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
        {
            // A construct the lowering did not foresee (zero-sized tensors, rank above 4, …): still a clear refusal.
            throw OnnxImportException.Unsupported(n, e.Message);
        }
    }

    private void LowerNode(OnnxNode n)
    {
        var ins = n.Inputs.Select(i => i.Length == 0 ? null : _v.TryGetValue(i, out var v) ? v : throw new OnnxImportException($"node {n.DisplayName}: input '{i}' has no value")).ToArray();
        if (n.OpType == "Shape")
        {
            var shape = ShapeOf(ins[0]!);
            Set(n, new ConstVal(OnnxTensor.Int([shape.Length], shape.Select(d => (long)d).ToArray())));
            return;
        }
        if (ins.All(v => v is null or ConstVal))
        {
            var outs = OnnxEvaluator.Eval(n, ins.Select(v => (v as ConstVal)?.T).ToArray(), _m.Opset);
            for (int i = 0; i < outs.Length && i < n.Outputs.Count; i++) _v[n.Outputs[i]] = new ConstVal(outs[i]);
            return;
        }
        switch (n.OpType)
        {
            case "Reshape" or "Unsqueeze" or "Squeeze" or "Flatten" or "Identity": Set(n, Reshape(n, ins)); return;
            case "Transpose": Set(n, Transpose(n, ins[0]!)); return;
            case "Cast": Set(n, Cast(n, ins[0]!)); return;
            case "Gather": Set(n, Gather(n, ins)); return;
            case "MatMul": MatMul(n, ins); return;
            case "Gemm": Gemm(n, ins); return;
            case "Slice" or "Split": SlicePacked(n, ins); return;
            case "Softmax": Set(n, Softmax(n, ins[0]!)); return;
            case "ReduceMean": LayerNormPattern(n); return;
            case "LayerNormalization": LayerNormalization(n, ins); return;
        }
        if (OnnxElementwise.Unary(n) is not null || OnnxElementwise.Binary(n.OpType) is not null || n.OpType == "Clip")
        {
            Elementwise(n, ins);
            return;
        }
        throw OnnxImportException.Unsupported(n);
    }

    private void Set(OnnxNode n, Val v) => _v[n.Outputs[0]] = v;

    private static int[] ShapeOf(Val v) => v switch
    {
        ConstVal c => c.T.Shape,
        ActVal a => a.Shape,
        IdsVal i => i.Shape,
        MaskVal k => k.Shape,
        EmbVal e => e.Shape,
        ScoresVal s => s.Shape,
        ProbsVal p => p.Scores.Shape,
        PackedVal p => p.Shape,
        GroupsVal g => g.Shape,
        _ => throw new InvalidOperationException(),
    };

    private static string Describe(Val v) => v switch
    {
        ConstVal => "a constant",
        IdsVal => "the token ids",
        MaskVal => "the attention mask",
        ScoresVal => "attention scores",
        ProbsVal => "attention probabilities",
        PackedVal => "a packed projection",
        _ => "an activation",
    };

    /// <summary>Calibrated scale of an int8 value: the <see cref="OnnxImportOptions.ActivationQuantile"/> of |x| (times the clip fraction) ↔ 127.</summary>
    private double Scale(string value)
    {
        double m = _cal.Quantile(value, _o.ActivationQuantile) * _o.ClipFraction;
        return (m > 1e-20 ? m : 1e-6) / 127;
    }

    /// <summary>Calibrated scale of an I16 value: 1.5 × its largest magnitude ↔ 32767 (headroom beyond the calibration samples).</summary>
    private double Scale16(string value)
    {
        double m = _cal.AbsMax(value) * 1.5;
        return (m > 1e-20 ? m : 1e-6) / 32767;
    }

    /// <summary>
    /// True if every consumer of <paramref name="value"/> is the start of a LayerNorm on it (LayerNormalization, or the
    /// ReduceMean and the x − mean Sub of the exporters' subgraph): such a value can be I16, which only Norm reads.
    /// </summary>
    private bool FeedsNormOnly(string value)
    {
        if (value == _output) return false;
        var users = Consumers(value);
        if (users.Count == 0) return false;
        var means = users.Where(u => u.OpType == "ReduceMean" && u.Inputs[0] == value).Select(u => u.Outputs[0]).ToHashSet();
        return users.All(u => u.OpType switch
        {
            "LayerNormalization" => u.Inputs[0] == value && !u.Inputs.Skip(1).Contains(value),
            "ReduceMean" => u.Inputs[0] == value,
            "Sub" => u.Inputs[0] == value && means.Contains(u.Inputs[1]),
            _ => false,
        }) && (means.Count == 0 || users.Any(u => u.OpType == "Sub"));
    }

    private Val Materialise(Val v, string name) => v is EmbVal e ? MaterialiseEmbedding(e) : v;

    /// <summary>Input <paramref name="input"/> as a symmetric activation (real = q · Scale).</summary>
    private ActVal Act(OnnxNode n, Val? v, int input) => Symmetric(RawAct(n, v, input), n.Inputs[input]);

    /// <summary>Input <paramref name="input"/> as it is held, possibly with an offset or channel scales (for MatMul and Lut).</summary>
    private ActVal RawAct(OnnxNode n, Val? v, int input)
    {
        var m = v is null ? null : Materialise(v, n.Inputs[input]);
        if (m is ActVal a) return a;
        throw OnnxImportException.Unsupported(n, $"input {input} is {(m is null ? "missing" : Describe(m))}");
    }

    /// <summary>A copy of an activation into a node with the 2-D spec of <paramref name="shape"/> (Requant ×1).</summary>
    private ActVal Copy(ActVal a, int[] shape)
    {
        var t = a.Ref.Spec.Type;
        int node = _b.Add(OnnxQuant.Spec2D(t, shape), [a.Ref], new RequantParams(1, 0, (int)t.Min(), (int)t.Max()));
        return a with { Ref = _b.Node(node), Shape = shape, Layout = Layout.Plain, Heads = 0 };
    }

    /// <summary>The single consumer of a value, or null.</summary>
    private OnnxNode? OnlyConsumer(string value) =>
        value == _output || !_consumers.TryGetValue(value, out var l) || l.Count != 1 ? null : l[0];

    private IReadOnlyList<OnnxNode> Consumers(string value) => _consumers.TryGetValue(value, out var l) ? l : [];

    private OnnxTensor? ConstOf(string? value) => value is not null && _v.TryGetValue(value, out var v) && v is ConstVal c ? c.T : null;
}
