using System.Diagnostics;
using System.Globalization;
using OpmlNode.Vm;

namespace OpmlNode.Bench;

public sealed record VmBenchResult(string Guest, ulong Steps, double PlainMips, double RootedMips, ulong RootEvery, double? QemuMips, IReadOnlyList<double> PlainRounds, IReadOnlyList<double> RootedRounds)
{
    public override string ToString()
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"{Guest}: {Steps:N0} steps; (a) no roots {PlainMips:F1} MIPS; (b) state root every {RootEvery:N0} steps {RootedMips:F1} MIPS ((a)/(b) = {PlainMips / RootedMips:F2}x)");
        s += QemuMips is { } q
            ? string.Create(CultureInfo.InvariantCulture, $"; qemu-riscv32 {q:F0} MIPS (ours/qemu = {PlainMips / q:F3})")
            : "; qemu-riscv32 not available";
        return s + string.Create(CultureInfo.InvariantCulture, $" (medians of {PlainRounds.Count} rounds)");
    }
}

/// <summary>VM throughput on one guest, single-threaded: plain, with periodic state roots, and qemu-user as the baseline.</summary>
public static class VmBench
{
    public static VmBenchResult Run(string elfPath, int rounds, ulong rootEvery, bool withQemu)
    {
        var elf = File.ReadAllBytes(elfPath);
        var name = Path.GetFileName(elfPath);
        RunOnce(elf, 0); // warm-up: tiered JIT reaches the optimised loop
        var plain = new List<double>();
        var rooted = new List<double>();
        var qemu = new List<double>();
        ulong steps = 0;
        for (var r = 0; r < rounds; r++)
        {
            (steps, var t) = RunOnce(elf, 0);
            plain.Add(steps / t / 1e6);
            (_, t) = RunOnce(elf, rootEvery);
            rooted.Add(steps / t / 1e6);
            if (withQemu && QemuSeconds(elfPath) is { } q) qemu.Add(steps / q / 1e6);
        }
        return new VmBenchResult(name, steps, BenchStats.Median(plain), BenchStats.Median(rooted), rootEvery, qemu.Count > 0 ? BenchStats.Median(qemu) : null, plain, rooted);
    }

    private static (ulong Steps, double Seconds) RunOnce(byte[] elf, ulong rootEvery)
    {
        var image = ElfLoader.Load(elf);
        var m = new Machine(image.Memory, image.Entry);
        var sw = Stopwatch.StartNew();
        if (rootEvery == 0) m.Run(ulong.MaxValue);
        else
        {
            while (m.IsRunning)
            {
                m.Run(rootEvery);
                m.Memory.Root();
            }
        }
        var t = sw.Elapsed.TotalSeconds;
        if (m.Exited != ExitKind.Exited) throw new InvalidOperationException($"benchmark guest did not exit cleanly: {m.Exited} {m.Trap}");
        return (m.Step, t);
    }

    /// <summary>Wall time of qemu-riscv32 running the ELF, or null when qemu-user is not installed.</summary>
    private static double? QemuSeconds(string elfPath)
    {
        try
        {
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(new ProcessStartInfo("qemu-riscv32", [elfPath]) { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is null) return null;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return sw.Elapsed.TotalSeconds;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
