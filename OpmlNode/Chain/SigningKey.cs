using Nethereum.Web3.Accounts;

namespace OpmlNode.Chain;

/// <summary>
/// The node's private key, read from a file or an environment variable — never from appsettings.json, never logged:
/// only the address it controls is ever printed.
/// </summary>
public static class SigningKey
{
    /// <summary>The hex key from <paramref name="keyFile"/> (its first line) or the environment variable <paramref name="keyEnv"/>.</summary>
    public static string Load(string? keyFile, string? keyEnv)
    {
        string? raw;
        string source;
        if (!string.IsNullOrEmpty(keyFile))
        {
            if (!File.Exists(keyFile)) throw new InvalidDataException($"key file {keyFile} does not exist");
            raw = File.ReadLines(keyFile).FirstOrDefault();
            source = $"key file {keyFile}";
        }
        else if (!string.IsNullOrEmpty(keyEnv))
        {
            raw = Environment.GetEnvironmentVariable(keyEnv);
            source = $"environment variable {keyEnv}";
            if (raw is null) throw new InvalidDataException($"{source} is not set");
        }
        else throw new InvalidDataException("no key: set a key file or a key environment variable");
        var key = raw?.Trim() ?? "";
        if (!key.StartsWith("0x", StringComparison.Ordinal)) key = "0x" + key;
        if (key.Length != 66 || !key[2..].All(Uri.IsHexDigit)) throw new InvalidDataException($"{source} does not hold a 32-byte hex private key");
        return key;
    }

    /// <summary>The address a key controls (safe to log).</summary>
    public static string AddressOf(string key) => new Account(key).Address;
}
