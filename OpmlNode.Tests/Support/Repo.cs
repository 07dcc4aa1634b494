namespace OpmlNode.Tests.Support;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Guest(string name) => Path("guest", "bin", name + ".elf");

    /// <summary>Expected exit code per guest from guest/tests/EXPECTED (null = must trap).</summary>
    public static IReadOnlyDictionary<string, int?> ExpectedGuests() =>
        File.ReadAllLines(Path("guest", "tests", "EXPECTED"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(f => f[0], f => f[1] == "trap" ? (int?)null : int.Parse(f[1]));

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "OpmlNode.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (OpmlNode.sln) above " + AppContext.BaseDirectory);
    }
}
