namespace OpmlNode.Inference.Import.Gguf;

/// <summary>Prompt text ↔ token ids for a model imported with its vocabulary (M.vocab.json); chosen by the import.</summary>
public interface ITextVocab
{
    /// <summary>What tokenizes the text, for <c>model info</c>.</summary>
    string Description { get; }

    /// <summary>The prompt's tokens as llama.cpp's <c>llama_tokenize(text, add_special: true, parse_special: false)</c>.</summary>
    int[] Encode(string text);

    /// <summary>Text as llama.cpp's <c>llama_detokenize(ids, remove_special: true, unparse_special: false)</c>.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The tokens' pieces one after another (no leading space removed): generated text as it follows a prompt.</summary>
    string DecodePieces(IEnumerable<int> ids);
}
