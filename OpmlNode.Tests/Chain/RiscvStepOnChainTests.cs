using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;
using Nethereum.Signer;
using Nethereum.Util;
using Newtonsoft.Json.Linq;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Tests.Vm;
using OpmlNode.Vm;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// The third implementation of PROTOCOL §4.6 in the loop: the deployed RiscvStep contract on anvil must give the
/// same post-state hash as the reference stepper and the fast VM for real guest steps and random-program steps.
/// </summary>
public class RiscvStepOnChainTests(AnvilFixture chain, ITestOutputHelper output) : IClassFixture<AnvilFixture>
{
    private const int SamplesPerGuest = 25;
    private const ulong MaxGuestSteps = 20_000_000;
    private static readonly string[] TooLong = ["matmul8"];

    [Fact]
    public void DtoSelectorsMatchTheCompiledAbi()
    {
        var artifact = JsonDocument.Parse(File.ReadAllBytes(ContractArtifacts.ArtifactPath(chain.ContractsDir, ContractArtifacts.RiscvStep)));
        var ids = artifact.RootElement.GetProperty("methodIdentifiers");
        Assert.Equal(ids.GetProperty("step(bytes,bytes)").GetString(), ABITypedRegistry.GetFunctionABI<StepFunction>().Sha3Signature);
        Assert.Equal(ids.GetProperty("stateHash(bytes)").GetString(), ABITypedRegistry.GetFunctionABI<StateHashFunction>().Sha3Signature);

        var errors = artifact.RootElement.GetProperty("abi").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "error")
            .ToDictionary(e => e.GetProperty("name").GetString()!,
                e => $"{e.GetProperty("name").GetString()}({string.Join(',', e.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("type").GetString()))})");
        var ours = new Dictionary<string, string>
        {
            ["BadStateLength"] = ABITypedRegistry.GetError<BadStateLengthError>().Sha3Signature,
            ["BadExitedFlag"] = ABITypedRegistry.GetError<BadExitedFlagError>().Sha3Signature,
            ["BadProofsLength"] = ABITypedRegistry.GetError<BadProofsLengthError>().Sha3Signature,
            ["BadMemoryProof"] = ABITypedRegistry.GetError<BadMemoryProofError>().Sha3Signature,
        };
        Assert.Equal(errors.Keys.Order(), ours.Keys.Order());
        foreach (var (name, signature) in errors)
            Assert.Equal(Sha3Keccack.Current.CalculateHash(signature)[..8], ours[name]);
    }

    [Fact]
    public async Task DevKeysAreAnvilsAccounts()
    {
        var accounts = await chain.Web3.Eth.Accounts.SendRequestAsync();
        for (var i = 0; i < Anvil.DevPrivateKeys.Count; i++)
            Assert.Equal(accounts[i], new EthECKey(Anvil.DevPrivateKeys[i]).GetPublicAddress(), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GuestStepsAgreeOnChain()
    {
        var guests = Directory.GetFiles(Path.Combine(chain.RepoRoot, "guest", "bin"), "*.elf")
            .Where(p => !TooLong.Contains(Path.GetFileNameWithoutExtension(p))).Order().ToArray();
        Assert.True(guests.Length >= 5, $"only {guests.Length} guest ELFs in guest/bin");
        var rng = new Random(20261126);
        var sw = Stopwatch.StartNew();
        var checkedSteps = 0;
        foreach (var path in guests)
        {
            var total = StepCount(path);
            // The first and last step, the no-op step after exit, and seeded random steps in between.
            var picks = new SortedSet<ulong> { 0, total - 1, total };
            while (picks.Count < Math.Min(SamplesPerGuest + 3, (int)total + 1)) picks.Add((ulong)rng.NextInt64(0, (long)total));

            var m = NewMachine(path);
            var kinds = new SortedSet<WitnessKind>();
            foreach (var index in picks)
            {
                m.Run(index - m.Step);
                Assert.Equal(index, m.Step);
                var kind = await AssertStepAgrees(m, $"{Path.GetFileName(path)} step {index}");
                kinds.Add(kind);
                checkedSteps++;
            }
            output.WriteLine($"{Path.GetFileName(path)}: {total} steps, checked {picks.Count} ({string.Join(", ", kinds)}), exit {m.Exited}/{m.ExitCode}");
        }
        output.WriteLine($"{checkedSteps} guest steps checked on chain in {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task RandomProgramStepsAgreeOnChain()
    {
        var rng = new Random(20261127);
        var kinds = new SortedSet<WitnessKind>();
        var checkedSteps = 0;
        var programs = 0;
        var sw = Stopwatch.StartNew();
        while (checkedSteps < 200)
        {
            var m = RandomProgramTests.RandomMachine(rng);
            programs++;
            while (checkedSteps < 200)
            {
                // Every step is checked fast VM vs reference; a seeded eighth of them, every trapping or exiting step
                // and the no-op step after exit also go to the contract.
                var running = m.IsRunning;
                var (w, reference) = StepLocally(m, $"random program {programs} step {m.Step}");
                if (!running || !m.IsRunning || rng.Next(8) == 0)
                {
                    await AssertContractAgrees(w, reference, $"random program {programs} step {m.Step - (running ? 1UL : 0)}");
                    kinds.Add(running && m.Exited == ExitKind.Trapped ? WitnessKind.Trap : w.Kind);
                    checkedSteps++;
                }
                if (!running) break;
            }
        }
        output.WriteLine($"{checkedSteps} random-program steps from {programs} programs checked on chain in {sw.ElapsedMilliseconds} ms; kinds: {string.Join(", ", kinds)}");
        Assert.Contains(WitnessKind.Load, kinds);
        Assert.Contains(WitnessKind.Store, kinds);
        Assert.Contains(WitnessKind.Trap, kinds);
    }

    [Fact]
    public async Task TamperedWitnessesRevertWithDecodedCustomErrors()
    {
        var (load, _) = FindWitness(WitnessKind.Load);
        Assert.Equal(2 * MemoryProof.EncodedSize, load.Proofs.Length);

        // A flipped byte in a sibling of the fetch proof, of the data proof, or in the data leaf itself.
        foreach (var offset in (int[])[100, MemoryProof.EncodedSize + 500, MemoryProof.EncodedSize + 3])
        {
            var proofs = (byte[])load.Proofs.Clone();
            proofs[offset] ^= 0x01;
            Assert.Throws<MalformedWitnessException>(() => ReferenceStepper.StepHash(load.State, proofs));
            var e = await Assert.ThrowsAsync<RiscvStepRevertException>(() => chain.RiscvStep.StepAsync(load.State, proofs));
            Assert.Equal("BadMemoryProof", e.ErrorName);
            Assert.IsType<BadMemoryProofError>(e.Error);
        }

        var truncated = await Assert.ThrowsAsync<RiscvStepRevertException>(
            () => chain.RiscvStep.StepAsync(load.State, load.Proofs[..MemoryProof.EncodedSize]));
        Assert.Equal("BadProofsLength", truncated.ErrorName);
        var lengths = Assert.IsType<BadProofsLengthError>(truncated.Error);
        Assert.Equal(new BigInteger(2 * MemoryProof.EncodedSize), lengths.Expected);
        Assert.Equal(new BigInteger(MemoryProof.EncodedSize), lengths.Got);

        var shortState = await Assert.ThrowsAsync<RiscvStepRevertException>(() => chain.RiscvStep.StepAsync(load.State[..^1], load.Proofs));
        Assert.Equal("BadStateLength", shortState.ErrorName);

        var badFlag = (byte[])load.State.Clone();
        badFlag[VmState.ExitedOffset] = 3;
        var flag = await Assert.ThrowsAsync<RiscvStepRevertException>(() => chain.RiscvStep.StepAsync(badFlag, load.Proofs));
        Assert.Equal("BadExitedFlag", flag.ErrorName);
        output.WriteLine(truncated.Message);
    }

    [Fact]
    public async Task StepTransactionsMineAndReportGas()
    {
        foreach (var kind in (WitnessKind[])[WitnessKind.Load, WitnessKind.Store, WitnessKind.OpImm, WitnessKind.Op])
        {
            var (w, guest) = FindWitness(kind);
            var receipt = await chain.RiscvStep.StepTransactionAsync(w.State, w.Proofs);
            Assert.Equal(1, (int)receipt.Status.Value);
            var gas = (long)receipt.GasUsed.Value;
            var calldata = new StepFunction { State = w.State, Proofs = w.Proofs }.GetCallData();
            var zeros = calldata.Count(b => b == 0);
            var nonZeros = calldata.Length - zeros;
            var intrinsic = 21_000 + 16L * nonZeros + 4L * zeros;
            var floor = 21_000 + 10L * (zeros + 4L * nonZeros); // EIP-7623 (Prague) calldata floor
            var execution = await ExecutionGas(chain.RiscvStep.ContractAddress, calldata);
            Assert.Equal(Math.Max(intrinsic + execution, floor), gas);
            output.WriteLine($"{kind,-6} ({guest}): tx gasUsed {gas:N0} = max(intrinsic {intrinsic:N0} + execution {execution:N0}, " +
                             $"EIP-7623 floor {floor:N0}){(gas == floor ? " — floor-bound" : "")}; calldata {calldata.Length} B ({nonZeros} nonzero)");
            Assert.InRange(gas, 21_000, 200_000);
        }
    }

    /// <summary>EVM execution gas of a call (without intrinsic/calldata gas or the EIP-7623 floor), from anvil's
    /// struct-log trace of the same call (debug_traceCall; anvil keeps no step logs for mined transactions unless started
    /// with --steps-tracing): gas available at the first opcode minus gas left after the last.</summary>
    private async Task<long> ExecutionGas(string to, byte[] calldata)
    {
        var call = new { from = chain.Web3.TransactionManager.Account.Address, to, data = "0x" + Convert.ToHexStringLower(calldata) };
        var trace = await chain.Web3.Client.SendRequestAsync<JObject>(new RpcRequest(1, "debug_traceCall", call, "latest",
            new { disableStorage = true, disableMemory = true, disableStack = true }));
        Assert.False(trace.Value<bool>("failed"));
        var logs = (JArray)trace["structLogs"]!;
        Assert.NotEmpty(logs);
        var first = logs[0]!.Value<long>("gas");
        var last = logs[^1]!;
        return first - (last.Value<long>("gas") - last.Value<long>("gasCost"));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Checks one step of <paramref name="m"/> three ways (contract eth_call, reference stepper, fast VM) and
    /// advances <paramref name="m"/> by that step. Returns the witness kind (Trap when the step trapped).</summary>
    private async Task<WitnessKind> AssertStepAgrees(Machine m, string what)
    {
        var wasRunning = m.IsRunning;
        var (w, reference) = StepLocally(m, what);
        await AssertContractAgrees(w, reference, what);
        return wasRunning && m.Exited == ExitKind.Trapped ? WitnessKind.Trap : w.Kind;
    }

    /// <summary>Captures the witness of the next step, steps the fast VM and asserts it agrees with the reference stepper.</summary>
    private static (StepWitness Witness, Hash256 PostHash) StepLocally(Machine m, string what)
    {
        var w = StepWitness.Capture(m);
        var reference = ReferenceStepper.StepHash(w.State, w.Proofs);
        m.Run(1);
        var fast = m.State().Hash();
        Assert.True(reference == fast, $"{what}: reference {reference} != fast VM {fast}");
        return (w, reference);
    }

    private async Task AssertContractAgrees(StepWitness w, Hash256 expected, string what)
    {
        var onChain = new Hash256(await chain.RiscvStep.StepAsync(w.State, w.Proofs));
        Assert.True(onChain == expected, $"{what} ({w.Kind}): contract {onChain} != reference {expected}");
    }

    private static Machine NewMachine(string elf)
    {
        var image = ElfLoader.LoadFile(elf);
        return new Machine(image.Memory, image.Entry);
    }

    private static ulong StepCount(string elf)
    {
        var m = NewMachine(elf);
        m.Run(MaxGuestSteps);
        Assert.False(m.IsRunning, $"{Path.GetFileName(elf)} did not finish within {MaxGuestSteps} steps");
        return m.Step;
    }

    /// <summary>The first non-trapping step of <paramref name="kind"/> in the guests (memory.elf first: real code, real memory).</summary>
    private (StepWitness Witness, string Guest) FindWitness(WitnessKind kind)
    {
        foreach (var name in (string[])["memory", "dot8", "arith", "loops"])
        {
            var m = NewMachine(Path.Combine(chain.RepoRoot, "guest", "bin", name + ".elf"));
            while (m.IsRunning && m.Step < 1_000_000)
            {
                var w = StepWitness.Capture(m);
                m.Run(1);
                if (w.Kind == kind && m.Exited != ExitKind.Trapped) return (w, $"{name}.elf step {m.Step - 1}");
            }
        }
        throw new InvalidOperationException($"no {kind} step found in the guests");
    }
}
