namespace OpmlNode.Cli;

/// <summary>Process exit codes shared by all verbs; each means one thing (a guest's own exit code passes through `vm run`).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A check the verb ran did not hold (e.g. a VM slot root differs from the native one), or an unexpected failure.</summary>
    public const int CheckFailed = 1;
    /// <summary>Bad usage (unknown option, missing or unparsable value) or a bad input file.</summary>
    public const int BadInput = 2;
    /// <summary>`vm run`: the step limit was reached while the guest was still running.</summary>
    public const int StepLimit = 124;
    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;
    /// <summary>`vm run`: the guest trapped.</summary>
    public const int GuestTrapped = 134;
}
