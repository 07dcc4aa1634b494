using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;

namespace OpmlNode.Chain;

/// <summary>A task just requested: its id and what the contract computed from the input.</summary>
public sealed record RequestedTask(BigInteger TaskId, BigInteger ModelId, Hash256 InputRoot, uint Passes, ulong Slots, BigInteger Fee,
    ulong BlockNumber, string TransactionHash);

/// <summary>A finalized task's result: the output bytes of the submission that was finalized.</summary>
public sealed record TaskOutcome(BigInteger TaskId, BigInteger SubmissionId, string Submitter, Hash256 OutputRoot, byte[] Output, BigInteger Payout)
{
    /// <summary>The output as little-endian I32 values (every output of the op set's models is I32: classes, tokens).</summary>
    public int[] Values => TaskClient.DecodeI32(Output);
}

/// <summary>
/// The requester's side of a task (PROTOCOL §5.2): build the input for an on-chain model, send <c>request</c>, and
/// follow the task through its events (submitted, challenged, rejected, resubmitted, finalized) to its result.
/// </summary>
public sealed class TaskClient(ChainConnection chain)
{
    /// <summary>How often <see cref="FollowAsync"/> asks for new events.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The registered model <paramref name="modelId"/>; an unknown id is an <see cref="ArgumentException"/>.</summary>
    public async Task<ModelInfo> GetModelAsync(BigInteger modelId)
    {
        if (modelId < 1) throw new ArgumentException($"--model must be a model id ≥ 1, got {modelId}");
        try { return await chain.Registry.GetModelAsync(modelId).ConfigureAwait(false); }
        catch (ContractRevertException e) when (e.ErrorName == "UnknownModel")
        {
            var count = await chain.Registry.ModelCountAsync().ConfigureAwait(false);
            throw new ArgumentException($"no model {modelId} in the registry ({count} registered; see `opml-node model register`)", e);
        }
    }

    /// <summary>
    /// The task input of a digit PNG for an on-chain model: the MNIST convention (I8 [1, 784], q = pixel − 128) of
    /// <see cref="MnistImage"/>, which needs an input size limit of at least 784 bytes. With the local
    /// <paramref name="model"/> file the convention is checked against the model's input tensor (<see cref="TaskInput.FromImage"/>).
    /// </summary>
    public static byte[] InputFromPng(ModelInfo onChain, byte[] png, string name, IModel? model = null)
    {
        var bytes = model is not null ? TaskInput.FromImage(model, png, name).Bytes : MnistImage.ToInput(DigitPicture.FromFile(png, name));
        if (bytes.Length > onChain.InputSizeLimit)
            throw new ArgumentException($"an image input is {bytes.Length} bytes; this model's input size limit is {onChain.InputSizeLimit} (not an image classifier?)");
        return bytes;
    }

    /// <summary>Raw task-input bytes, checked against the on-chain input size limit (and the model file's, if given).</summary>
    public static byte[] InputFromBytes(ModelInfo onChain, byte[] bytes, IModel? model = null)
    {
        if (model is not null) bytes = TaskInput.FromBytes(model, bytes).Bytes;
        if (bytes.Length > onChain.InputSizeLimit)
            throw new ArgumentException($"the input is {bytes.Length} bytes; this model's input size limit is {onChain.InputSizeLimit}");
        return bytes;
    }

    /// <summary>Sends <c>request</c>; <paramref name="fee"/> null = the contract's <c>minFee</c>. Reverts the requester
    /// can fix (fee, input, passes) are <see cref="ArgumentException"/>s.</summary>
    public async Task<RequestedTask> RequestAsync(BigInteger modelId, byte[] input, uint passes, BigInteger? fee, CancellationToken ct = default)
    {
        if (passes < 1) throw new ArgumentException("--passes must be ≥ 1");
        var tasks = chain.Tasks;
        var minFee = await tasks.MinFeeAsync().ConfigureAwait(false);
        var paid = fee ?? minFee;
        if (paid < minFee) throw new ArgumentException($"--fee {paid} wei is below the contract's minimum fee {minFee} wei");
        try
        {
            var mined = await tasks.RequestAsync(modelId, input, passes, paid, ct).ConfigureAwait(false);
            var e = mined.Event;
            return new RequestedTask(e.TaskId, e.ModelId, new Hash256(e.InputRoot), e.Passes, e.Slots, e.Fee,
                (ulong)mined.Receipt.BlockNumber.Value, mined.Receipt.TransactionHash);
        }
        catch (ContractRevertException e) when (e.ErrorName is "FeeTooLow" or "InputTooLarge" or "BadPasses" or "UnknownModel" or "TensorTooLarge")
        {
            throw new ArgumentException($"the task contract refuses this request: {e.Message}", e);
        }
    }

    /// <summary>
    /// Follows task <paramref name="taskId"/> from block <paramref name="fromBlock"/> by its events, reporting each
    /// transition as one line, until it is finalized (returns the result) or <paramref name="timeout"/> passes (null).
    /// </summary>
    public async Task<TaskOutcome?> FollowAsync(BigInteger taskId, ulong fromBlock, TimeSpan timeout, Action<string> report,
        TimeSpan? pollInterval = null, CancellationToken ct = default)
    {
        var poll = pollInterval ?? DefaultPollInterval;
        var deadline = DateTime.UtcNow + timeout;
        var outputs = new Dictionary<BigInteger, ResultSubmittedEvent>();
        var topic = "0x" + taskId.ToString("x64", CultureInfo.InvariantCulture)[^64..];
        ulong next = fromBlock;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var head = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync().ConfigureAwait(false)).Value;
            if (head >= next)
            {
                var logs = await chain.Web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
                {
                    Address = [chain.Tasks.ContractAddress],
                    FromBlock = new BlockParameter(new HexBigInteger(next)),
                    ToBlock = new BlockParameter(new HexBigInteger(head)),
                    Topics = [null, topic],
                }).ConfigureAwait(false);
                foreach (var log in logs.Where(l => l.BlockNumber is not null && l.LogIndex is not null).OrderBy(l => l.BlockNumber.Value).ThenBy(l => l.LogIndex.Value))
                {
                    if (new LogCheck<ResultSubmittedEvent>(chain.Tasks.ContractAddress).Check(log, next, head, out var submitted) is null)
                    {
                        var e = submitted!.Event;
                        report(Invariant($"{(outputs.Count == 0 ? "submitted" : "resubmitted")} by {e.Submitter}: submission {e.SubmissionId}, output root {new Hash256(e.OutputRoot)}, challenge deadline {Time(e.ChallengeDeadline)}"));
                        outputs[e.SubmissionId] = e;
                    }
                    else if (new LogCheck<ChallengedEvent>(chain.Tasks.ContractAddress).Check(log, next, head, out var challenged) is null)
                    {
                        var e = challenged!.Event;
                        report(Invariant($"challenged by {e.Challenger}: game {e.GameId} against submission {e.SubmissionId}"));
                    }
                    else if (new LogCheck<SubmissionRejectedEvent>(chain.Tasks.ContractAddress).Check(log, next, head, out var rejected) is null)
                    {
                        var e = rejected!.Event;
                        report(Invariant($"rejected: submission {e.SubmissionId} lost game {e.GameId}; the task is open again"));
                    }
                    else if (new LogCheck<TaskFinalizedEvent>(chain.Tasks.ContractAddress).Check(log, next, head, out var finalized) is null)
                    {
                        var e = finalized!.Event;
                        report(Invariant($"finalized: submission {e.SubmissionId} by {e.Submitter}, output root {new Hash256(e.OutputRoot)}, payout {e.Payout} wei"));
                        var output = outputs.TryGetValue(e.SubmissionId, out var s) ? s.Output : await SubmittedOutputAsync(taskId, e.SubmissionId).ConfigureAwait(false);
                        return new TaskOutcome(taskId, e.SubmissionId, e.Submitter, new Hash256(e.OutputRoot), output, e.Payout);
                    }
                }
                next = head + 1;
            }
            if (DateTime.UtcNow >= deadline) return null;
            var left = deadline - DateTime.UtcNow;
            await Task.Delay(left < poll ? left : poll, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The output bytes of a submission, from its <c>ResultSubmitted</c> event (storage keeps only the root).</summary>
    private async Task<byte[]> SubmittedOutputAsync(BigInteger taskId, BigInteger submissionId)
    {
        var ev = chain.Web3.Eth.GetEvent<ResultSubmittedEvent>(chain.Tasks.ContractAddress);
        var logs = await new LogCheck<ResultSubmittedEvent>(chain.Tasks.ContractAddress)
            .BelievedAsync(chain.Web3, ev.CreateFilterInput(taskId, submissionId, BlockParameter.CreateEarliest(), BlockParameter.CreateLatest())).ConfigureAwait(false);
        return logs.Count > 0 ? logs[0].Event.Output : throw new InvalidDataException($"no ResultSubmitted event for submission {submissionId}");
    }

    /// <summary>A one-line description of where a task stands (for a timeout message).</summary>
    public async Task<string> DescribeAsync(BigInteger taskId)
    {
        var t = await chain.Tasks.GetTaskAsync(taskId).ConfigureAwait(false);
        if (t.SubmissionId == 0) return Invariant($"task {taskId} is {t.Status} with no submission yet (is a submitter node running?)");
        var s = await chain.Tasks.GetSubmissionAsync(t.SubmissionId).ConfigureAwait(false);
        return Invariant($"task {taskId} is {t.Status}; submission {t.SubmissionId} by {s.Submitter} is {s.Status} with {s.OpenGames} open game(s)");
    }

    /// <summary>Little-endian I32 values of an output tensor (a trailing partial word is ignored).</summary>
    public static int[] DecodeI32(ReadOnlySpan<byte> output)
    {
        var v = new int[output.Length / 4];
        for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(output[(4 * i)..]);
        return v;
    }

    internal static string Time(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(unixSeconds, 253402300799UL)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
