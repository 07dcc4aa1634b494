namespace OpmlNode.Inference.Models;

/// <summary>Parsing and naming of <see cref="ArchitectureKind"/>.</summary>
public static class ArchitectureKinds
{
    /// <summary>The kind of an architecture name such as <c>llama/100m</c> (its family before the slash).</summary>
    public static ArchitectureKind Of(string architecture)
    {
        var family = architecture.Split('/')[0];
        return TryParse(family, out var kind) ? kind : ArchitectureKind.Other;
    }

    /// <summary>Parses a family name (mlp, llama, bert; any case).</summary>
    public static bool TryParse(string family, out ArchitectureKind kind)
    {
        kind = family.ToLowerInvariant() switch
        {
            "mlp" => ArchitectureKind.Mlp,
            "llama" => ArchitectureKind.Llama,
            "bert" => ArchitectureKind.Bert,
            _ => ArchitectureKind.Other,
        };
        return kind != ArchitectureKind.Other;
    }

    public static string Name(this ArchitectureKind kind) => kind.ToString().ToLowerInvariant();
}
