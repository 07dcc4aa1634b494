using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpmlNode.Chain;
using OpmlNode.Inference;
using OpmlNode.Inference.Models;
using OpmlNode.Vm;

namespace OpmlNode.Cli;

/// <summary>
/// The one error-to-exit-code mapping of every verb: usage errors and expected failures print one plain
/// <c>error: …</c> line (never a stack trace or a .NET type name) and exit <see cref="ExitCodes.BadInput"/>.
/// </summary>
internal static partial class CliErrors
{
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.BadInput;
    }

    /// <summary>Culture-independent formatting for every verb's output.</summary>
    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>Exit code and message for an exception that escaped a verb.</summary>
    public static int Report(Exception e)
    {
        switch (e)
        {
            case OperationCanceledException:
                Console.Error.WriteLine("interrupted");
                return ExitCodes.Interrupted;
            case InvalidModelException or InvalidDescriptorException or ElfLoadException or ContractArtifactException
                or ArgumentException or InvalidDataException or FormatException or JsonException or KeyNotFoundException:
                return Fail(e.Message);
            case FileNotFoundException f:
                return Fail($"{f.FileName ?? "file"}: no such file");
            case DirectoryNotFoundException:
                return Fail($"no such directory: {e.Message}");
            case UnauthorizedAccessException or IOException:
                return Fail(e.Message);
            default:
                Console.Error.WriteLine($"error: unexpected failure: {e.Message}");
                return ExitCodes.CheckFailed;
        }
    }

    /// <summary>A parse error as one plain line, with .NET type names replaced by what the value should be.</summary>
    public static string Describe(ParseError error)
    {
        var m = CannotParse().Match(error.Message);
        if (m.Success)
            return $"'{m.Groups["value"].Value}' is not a valid value for {m.Groups["name"].Value}: expected {Friendly(m.Groups["type"].Value)}";
        return TypeName().Replace(error.Message, t => Friendly(t.Groups[1].Value));
    }

    private static string Friendly(string typeName)
    {
        var t = typeName.Replace("System.Nullable`1[", "").TrimEnd(']');
        if (typeof(CliErrors).Assembly.GetType(t) is { IsEnum: true } e)
            return "one of " + string.Join(", ", Enum.GetNames(e).Where(n => n != "Other").Select(n => n.ToLowerInvariant()));
        return t switch
        {
            "System.Byte" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "a non-negative integer",
            "System.SByte" or "System.Int16" or "System.Int32" or "System.Int64" => "an integer",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.IO.FileInfo" => "a file path",
            "System.IO.DirectoryInfo" => "a directory path",
            _ when t.Contains('.', StringComparison.Ordinal) => "a " + t[(t.LastIndexOf('.') + 1)..].ToLower(CultureInfo.InvariantCulture) + " name",
            _ => t,
        };
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"'(System\.[\w.`\[\]]+|OpmlNode\.[\w.]+)'")]
    private static partial Regex TypeName();
}
