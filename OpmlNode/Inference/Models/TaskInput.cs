using System.Buffers.Binary;
using System.Globalization;

namespace OpmlNode.Inference.Models;

/// <summary>
/// A task's input bytes for a model (GRAPH §6), with what the architecture reads from them: the prompt length of a
/// decoder, and so the default number of passes. The verbs and the node's services build inputs only through here.
/// </summary>
public sealed class TaskInput
{
    /// <summary>Tokens a decoder generates after its prompt when no pass count is given.</summary>
    public const int DefaultNewTokens = 8;

    private TaskInput(IModel model, byte[] bytes)
    {
        if (bytes.Length > model.InputSizeLimit)
            throw new ArgumentException($"task input is {bytes.Length} bytes; the model's input size limit is {model.InputSizeLimit}");
        Bytes = bytes;
        Kind = model.Kind;
        PromptLength = Kind == ArchitectureKind.Llama && bytes.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : 0;
        MaxPasses = model.DefaultPasses;
    }

    public byte[] Bytes { get; }
    public ArchitectureKind Kind { get; }

    /// <summary>Prompt tokens of a decoder input (its element 0); 0 for other architectures.</summary>
    public int PromptLength { get; }

    private int MaxPasses { get; }

    /// <summary>1 for a classifier; the prompt plus <see cref="DefaultNewTokens"/>, at most the KV length, for a decoder.</summary>
    public int DefaultPasses => Kind == ArchitectureKind.Llama ? Math.Min(MaxPasses, Math.Max(1, PromptLength) + DefaultNewTokens) : 1;

    /// <summary>The raw little-endian bytes of the TASK_INPUT tensor (shorter = zero-padded).</summary>
    public static TaskInput FromBytes(IModel model, byte[] bytes) => new(model, bytes);

    /// <summary>
    /// Token ids: for a decoder the prompt, encoded I32 [n, t_1..t_n]; for an encoder the ids (I32, pad 0). Other
    /// architectures take raw bytes only.
    /// </summary>
    public static TaskInput FromTokens(IModel model, IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0) throw new ArgumentException("no tokens");
        return model.Kind switch
        {
            ArchitectureKind.Llama => new(model, ModelSynth.PromptInput(tokens)),
            ArchitectureKind.Bert => new(model, ModelSynth.IdsInput(tokens)),
            _ => throw new ArgumentException($"token input is for llama/bert models; {model.Architecture} takes raw input bytes"),
        };
    }

    /// <summary>
    /// A picture for an MLP classifier with input I8 [1, 784]. For a digit model, any picture of a digit (any size,
    /// colour, polarity; PNG, JPEG, BMP, GIF, TGA), found and centred as <see cref="Mnist.DigitPicture"/> says; for
    /// Fashion-MNIST, a 28×28 PNG. Either way converted as <see cref="Mnist.MnistImage"/> says (q = pixel − 128).
    /// </summary>
    public static TaskInput FromImage(IModel model, ReadOnlySpan<byte> picture, string name = "image")
    {
        var spec = model.Nodes.SelectMany(d => d.Inputs).FirstOrDefault(r => r.Kind == RefKind.TaskInput)?.Spec;
        if (model.Kind != ArchitectureKind.Mlp || spec is null || spec.Type != ElemType.I8 || spec.ElementCount != Mnist.MnistImage.Pixels)
            throw new ArgumentException($"image input is for MLP classifiers with an I8 [1, {Mnist.MnistImage.Pixels}] input; {model.Architecture} takes {spec?.ToString() ?? "no task input"}");
        if (model.Architecture == Mnist.FashionMnist.Architecture)
        {
            // the data set's own 28×28 (a garment fills its picture, so there is no digit to find and fit)
            if (picture.Length >= 24 && picture.StartsWith(Mnist.MnistImage.PngSignature)
                && (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(picture[16..]), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(picture[20..])) is var (w, h)
                && (w, h) != (Mnist.MnistImage.Side, Mnist.MnistImage.Side))
                throw new InvalidDataException($"{name} is {w}×{h} pixels; a Fashion-MNIST model takes a 28×28 PNG (the data set's own size)");
            return new(model, Mnist.MnistImage.InputFromPng(picture, name));
        }
        return new(model, Mnist.MnistImage.ToInput(Mnist.DigitPicture.FromFile(picture, name)));
    }

    /// <summary>Parses a comma-separated list of token ids ("1,2,3").</summary>
    public static int[] ParseTokens(string text)
    {
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"'{text}' is not a comma-separated list of integers");
        }
    }

    /// <summary>A seeded random valid input of the model's architecture.</summary>
    public static TaskInput Random(IModel model, int seed) => new(model, ModelSynth.RandomInput(model, seed));

    /// <summary>The tokens a decoder generated after its prompt, from its token buffer after <paramref name="passes"/> passes.</summary>
    public IEnumerable<int> GeneratedTokens(IReadOnlyList<int> tokenBuffer, int passes)
    {
        int firstNew = Math.Max(0, Math.Min(PromptLength, passes) - 1);
        return tokenBuffer.Skip(firstNew).Take(Math.Max(0, passes - Math.Max(0, PromptLength - 1)));
    }
}
