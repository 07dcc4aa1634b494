using Google.Protobuf;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Import.Onnx.Proto;

namespace OpmlNode.Tests.Inference.Import.Onnx;

public class OnnxLoaderTests
{
    [Fact]
    public void LoadsMiniLm()
    {
        var m = OnnxModel.Load(MiniLmFiles.ModelPath);
        Assert.Equal(13, m.Opset);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], m.Inputs.Select(i => i.Name));
        Assert.Equal("last_hidden_state", m.Outputs[0].Name);
        Assert.Equal([30522, 384], m.Initializers["embeddings.word_embeddings.weight"].Shape);
        Assert.Equal(6, m.Nodes.Count(n => n.OpType == "Softmax"));
    }

    [Fact]
    public void TruncatedFileIsAClearError()
    {
        var bytes = File.ReadAllBytes(MiniLmFiles.ModelPath);
        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(bytes[..(bytes.Length / 2)], "half.onnx"));
        Assert.Contains("ONNX: half.onnx: not a valid ONNX file, truncated or corrupt", e.Message);
    }

    [Fact]
    public void NewerOpsetIsAClearError()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(TinyModel(opset: 19).ToByteArray(), "new.onnx"));
        Assert.Equal("ONNX: new.onnx: opset 19 of the default domain is not supported (this importer implements opsets 7..17)", e.Message);
    }

    [Fact]
    public void ReadsNodesInitializersAndTensors()
    {
        var m = OnnxModel.Parse(TinyModel(opset: 13).ToByteArray(), "tiny.onnx");
        Assert.Single(m.Inputs);
        Assert.Equal("x: Float[2, 3]", m.Inputs[0].ToString());
        Assert.Equal([1f, 2f, 3f], m.Initializers["b"].AsFloats());
        var y = new OnnxEvaluator(m).Run(new Dictionary<string, OnnxTensor> { ["x"] = OnnxTensor.Float([2, 3], [1, 2, 3, 4, 5, 6]) })["y"].AsFloats();
        Assert.Equal([2f, 4f, 6f, 5f, 7f, 9f], y);
    }

    [Fact]
    public void ErfMatchesKnownValues()
    {
        Assert.Equal(0.8427007929497149, OnnxElementwise.Erf(1), 12);
        Assert.Equal(-0.9953222650189527, OnnxElementwise.Erf(-2), 12);
        Assert.Equal(0.9999779095030014, OnnxElementwise.Erf(3), 7);
    }

    /// <summary>y = x + b, x float [2, 3], b an initializer [3].</summary>
    internal static ModelProto TinyModel(int opset)
    {
        var g = new GraphProto { Name = "tiny" };
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "x", "b" }, Output = { "y" } });
        var b = new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3 } };
        b.FloatData.Add([1, 2, 3]);
        g.Initializer.Add(b);
        g.Input.Add(Value("x", 2, 3));
        g.Output.Add(Value("y", 2, 3));
        return new ModelProto { IrVersion = 8, Graph = g, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } } };
    }

    internal static ValueInfoProto Value(string name, params int[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
