namespace OpmlNode.Cli;

/// <summary>
/// Process exit codes shared by all verbs; each means one thing: 0 ok; 1 a check the verb ran did not hold (e.g. a VM
/// slot root differs from the native one) or an unexpected failure; 2 bad usage (unknown option, missing or unparsable
/// value) or a bad input file; 3 `run`: the node stopped itself because acting on would be unsafe (the chain is not the one
/// its data directory follows, or a reorganisation went deeper than its undo window; docs/OPERATIONS.md); 124 `vm run` reached its step limit; 130 interrupted; 134 `vm run`: the guest trapped.
/// `vm run` otherwise passes the guest's own exit code through.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0, CheckFailed = 1, BadInput = 2, Halted = 3, StepLimit = 124, Interrupted = 130, GuestTrapped = 134;
}
