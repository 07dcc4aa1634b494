using System.Text.Json;

namespace OpmlNode.Chain;

/// <summary>Thrown when a compiled contract artifact is missing or unusable.</summary>
public sealed class ContractArtifactException(string message) : Exception(message);

/// <summary>
/// Reads forge's compiled artifacts (<c>contracts/out/&lt;Source&gt;.sol/&lt;Contract&gt;.json</c>), so the node deploys
/// exactly the bytecode <c>npx forge build</c> produced from <c>contracts/src</c>.
/// </summary>
public static class ContractArtifacts
{
    public const string RiscvStep = "RiscvStep";

    /// <summary>Path of forge's artifact for <paramref name="contract"/> defined in <c>src/&lt;sourceFile&gt;</c>
    /// (default <c>&lt;contract&gt;.sol</c>).</summary>
    public static string ArtifactPath(string contractsDir, string contract, string? sourceFile = null) =>
        Path.Combine(contractsDir, "out", sourceFile ?? contract + ".sol", contract + ".json");

    /// <summary>The creation bytecode (<c>bytecode.object</c>, 0x-prefixed hex) of a compiled contract.</summary>
    public static string LoadBytecode(string contractsDir, string contract = RiscvStep, string? sourceFile = null)
    {
        var path = ArtifactPath(contractsDir, contract, sourceFile);
        if (!File.Exists(path))
            throw new ContractArtifactException(
                $"compiled artifact {path} not found: run `npm ci && npx forge build` in {contractsDir}");
        string hex;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            hex = doc.RootElement.GetProperty("bytecode").GetProperty("object").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ContractArtifactException($"{path} is not a forge artifact with bytecode.object: {e.Message}");
        }
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length == 0)
            throw new ContractArtifactException($"{path} has empty bytecode ({contract} is abstract or an interface?)");
        if (hex.Contains("__$", StringComparison.Ordinal))
            throw new ContractArtifactException($"{path} has unlinked library placeholders; {contract} cannot be deployed as is");
        if (hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
            throw new ContractArtifactException($"{path}: bytecode.object is not hex");
        return "0x" + hex;
    }
}
