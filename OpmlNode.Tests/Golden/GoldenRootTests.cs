using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;

namespace OpmlNode.Tests.Golden;

/// <summary>
/// Commitments pinned as literals: a refactor of the engine must leave every one of them unchanged. Each row is a
/// synthetic model of a fixed seed; the roots are its weights root, its descriptors root and S_N after 3 passes on a
/// fixed random input, all computed on the CPU backend.
/// </summary>
public sealed class GoldenRootTests : IDisposable
{
    private readonly ModelTempDir _dir = new();

    public static TheoryData<ArchitectureKind, string, string, string, string> Models() => new()
    {
        { ArchitectureKind.Mlp, "tiny",
          "0x5019bdbd06989bd86dd18386d0297c8e76355aff57d1dccdabd22151cfa02f77",
          "0x4ba288d4861efa6988d99a18d968daceb0c818b5c3f75da0041b47b90af28ced",
          "0x7044acae3619ebe3ca6cb75f018760e6a3a23cc4b5c9c307d61fed684e47da1b" },
        { ArchitectureKind.Mlp, "small",
          "0xdcf955aacef26436f07f821ebf7dd1d439deecbebbdf9516189715c00da01405",
          "0x5608af39acfcb9ff5d21d35fbaf9e78f86ef0f92a9bc44e4232b6b834db1c30c",
          "0xe40c62cb0e654d721bbdd801f127e20b693d4140af60ac5d75689f7beaca013a" },
        { ArchitectureKind.Llama, "tiny",
          "0x96b388cd534933bfbda0c790ee004ddb5b3a8bcfacbb95d3a9d72a610e3e1f96",
          "0xf35f037c2634f8512b8a28377cea6c6485da0d03373c4edda8a90d37a4fc9d4e",
          "0xb9e16b8f7e2ac4f535da0c6956736052d00f2e13195407e70da488b6c52346b3" },
        { ArchitectureKind.Llama, "small",
          "0xfcbc59669e7547362fc202d72d4a087229172c2de75750f107d8866007690514",
          "0xa5ebb9e2511ccfdafc47c1cebdba5c4f780f56c975fb4b06615f8fd1fc58fdb0",
          "0xe0bba36b83c4baad8134773bad714e33df66c0eb4d970d16d444b6bc7a804c77" },
        { ArchitectureKind.Bert, "tiny",
          "0xf2e8c878cc2fad03d4e11c48768473ba9bf2fb40f4ecce95e2d0f15e14aeb12f",
          "0x2eafddc93d14702f4d807bbd1f80d05be86f8bf154c9d148ec2de961189a3ef6",
          "0xd375aed7082f2494a820346c2fd78b9ad8dee8783624293df06ee320730eb3dc" },
        { ArchitectureKind.Bert, "small",
          "0xeae7d0c4143d58aec58b3e34faf97cb89e275ce5151946f212723f77bdd9cac4",
          "0x6088930df756e10ca252c9c0cf66472e1f9313df1b776d114fdcb4617c312c3d",
          "0xab5e00efd0aca423698f121509f786d85103c2c98de020fcb03d8659de1417c7" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ModelCommitmentsAreUnchanged(ArchitectureKind arch, string preset, string weightsRoot, string descriptorsRoot, string finalRoot)
    {
        using var m = ModelReader.Open(_dir.Synth(arch, preset, seed: 42));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var run = new GraphRunner(m, CpuBackend.Instance).Run(ModelSynth.RandomInput(m, 5), 3);
        var got = $"{roots.WeightsRoot} {roots.DescriptorsRoot} {run.FinalRoot}";
        Assert.Equal($"{weightsRoot} {descriptorsRoot} {finalRoot}", got);
    }

    [Fact]
    public void OpsGuestProgramRootIsUnchanged() =>
        Assert.Equal("0x9989656d5c53a8a6e1cc954ef0a848bdee94e83f7703c052259a4847529ac5cc", VmBackend.Embedded().ProgramRoot().ToString());

    public void Dispose() => _dir.Dispose();
}
