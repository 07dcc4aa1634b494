using System.Diagnostics;

namespace OpmlNode.Faults;

/// <summary>
/// Test-only fault injection: the process SIGKILLs itself the first time it reaches the named point, so a kill lands
/// at exactly that instant of a dispute (docs/RELIABILITY.md, the kill campaign). Armed by the hidden <c>--crash-at</c>
/// option of <c>run</c> (or <c>Node:Faults:CrashAt</c>); unarmed, every <see cref="Hit"/> is one string comparison.
/// A spec is <c>POINT</c> or <c>POINT:WHAT</c>; WHAT narrows the point to one kind of call (a transaction's function,
/// e.g. <c>mined:Challenge</c>; where a move is, e.g. <c>move:phase2</c>; or a chain event, <c>event:GameResolved</c>).
/// </summary>
public static class CrashPoint
{
    /// <summary>Every point the node exposes, in the order a dispute reaches them (each documented where it is hit).</summary>
    public static readonly IReadOnlyList<string> Points =
        ["startup", "db-batch", "signed", "journaled", "broadcast", "mined", "move", "vm-trace", "event"];

    private static string? _point, _what;

    /// <summary>Whether a crash point is armed.</summary>
    public static bool Armed => _point is not null;

    /// <summary>Arms <paramref name="spec"/> (null or empty disarms). Throws <see cref="ArgumentException"/> for an unknown point.</summary>
    public static void Arm(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) { _point = _what = null; return; }
        var parts = spec.Split(':', 2);
        if (!Points.Contains(parts[0])) throw new ArgumentException($"unknown crash point '{parts[0]}' (one of {string.Join(", ", Points)})", nameof(spec));
        (_point, _what) = (parts[0], parts.Length == 2 && parts[1].Length > 0 ? parts[1] : null);
    }

    /// <summary>Kills the process (SIGKILL, no clean-up, no flush of buffered logs) if <paramref name="point"/> is armed and
    /// <paramref name="what"/> matches (any, when the spec names none). One line on stderr says where, for the test.</summary>
    public static void Hit(string point, string? what = null)
    {
        if (_point != point) return;
        if (_what is not null && !string.Equals(_what, what, StringComparison.OrdinalIgnoreCase)) return;
        Console.Error.WriteLine($"crash-point: killed at {point}{(what is null ? "" : ":" + what)}");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite); // the signal is asynchronous: nothing after the point may run
    }

    /// <summary>The name a transaction's function goes by in a spec: ChallengeFunction → Challenge.</summary>
    public static string FunctionName(Type function) =>
        function.Name.EndsWith("Function", StringComparison.Ordinal) ? function.Name[..^"Function".Length] : function.Name;
}
