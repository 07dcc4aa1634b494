using System.Buffers.Binary;

namespace OpmlNode.Vm;

/// <summary>
/// Writes step witnesses with expected post-state hashes in the binary fixture format of PROTOCOL §4.7.
/// Every record's expected hash is checked against the reference stepper before it is written, so a
/// fixture never carries a hash that only the fast VM believes.
/// </summary>
public sealed class WitnessFixtureWriter(string path) : IDisposable
{
    private readonly FileStream _out = File.Create(path);

    public int Count { get; private set; }

    /// <summary>Records every step of <paramref name="m"/> (up to <paramref name="maxSteps"/>) and, if it ended, the no-op step after.</summary>
    public ulong RecordRun(Machine m, ulong maxSteps)
    {
        ulong n = 0;
        while (m.IsRunning && n < maxSteps)
        {
            Record(m);
            n++;
        }
        if (!m.IsRunning)
        {
            Record(m);
            n++;
        }
        return n;
    }

    /// <summary>Captures the witness of m's next step, executes it, and writes the record.</summary>
    public void Record(Machine m)
    {
        var w = StepWitness.Capture(m);
        var wasRunning = m.IsRunning;
        m.Run(1);
        var post = m.State().Hash();
        var reference = ReferenceStepper.StepHash(w.State, w.Proofs);
        if (post != reference)
            throw new InvalidOperationException($"fast VM and reference stepper disagree at step {m.Step}: {post} vs {reference}");
        var kind = wasRunning && m.Exited == ExitKind.Trapped ? WitnessKind.Trap : w.Kind;
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)kind);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)w.Proofs.Length);
        _out.Write(header);
        _out.Write(w.State);
        _out.Write(w.Proofs);
        _out.Write(post.Bytes);
        Count++;
    }

    public void Dispose() => _out.Dispose();
}
