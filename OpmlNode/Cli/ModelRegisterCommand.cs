using System.CommandLine;
using OpmlNode.Chain;
using OpmlNode.Configuration;
using OpmlNode.Dispute;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model register`: register a model file in the deployment's ModelRegistry (PROTOCOL §5.1), idempotently.</summary>
internal static class ModelRegisterCommand
{
    /// <summary>Default <c>maxNodeSteps</c>: VM steps any one slot may take in the guest.</summary>
    public const ulong DefaultMaxNodeSteps = 1_000_000_000;

    public static Command RegisterCommand(NodeOptions? options = null)
    {
        var chain = new ChainOptions(options);
        var file = new Argument<FileInfo>("FILE.opml") { Description = "The model file to register." };
        var maxSteps = new Option<ulong>("--max-node-steps")
        {
            HelpName = "N",
            Description = "maxNodeSteps of the registration: VM steps one slot may take (a slot that needs more cannot be defended).",
            DefaultValueFactory = _ => DefaultMaxNodeSteps,
        };
        var cmd = new Command("register",
            "Register a model in the deployment's ModelRegistry: computes the registration (program root of the embedded opml-ops guest, " +
            "entry pc, descriptors root, weights root, counts, output node, input size limit, maxNodeSteps), sends `register` and prints " +
            "the model id and every registered root. An identical registration already on chain is reused (no transaction).\n" +
            $"Exit code: 0; {ExitCodes.BadInput} for a bad model file, options, endpoint or deployment.")
        {
            file, maxSteps,
        };
        chain.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            var budget = p.GetValue(maxSteps);
            if (budget <= (ulong)GuestCost.FixedSteps) return Fail($"--max-node-steps must exceed {GuestCost.FixedSteps} (the guest's fixed cost per node)");
            var path = p.GetValue(file)!.FullName;
            ModelReader model;
            try { model = ModelReader.Open(path); }
            catch (InvalidModelException e) { return Fail($"{path}: {e.Message}"); }
            using var owned = model;
            var conn = await chain.ConnectAsync(p, ct);
            var registration = RegisteredModel.Of(model, ModelRoots.Load(model, Console.Error), VmBackend.Embedded(), budget);
            var result = await ModelRegistration.RegisterAsync(conn.Registry, registration, ct);
            Console.WriteLine(result.Reused
                ? Invariant($"model id:         {result.ModelId} (already registered identically; reused, nothing sent)")
                : Invariant($"model id:         {result.ModelId} (registered by {conn.Address}, tx {result.TransactionHash})"));
            Console.WriteLine($"model:            {model.Architecture} ({Path.GetFileName(model.Path)})");
            Console.WriteLine($"program root:     {registration.ProgramRoot}   entry pc 0x{registration.EntryPc:x8}");
            Console.WriteLine(Invariant($"descriptors root: {registration.DescriptorsRoot}   {registration.NodeCount} nodes, output node {registration.OutputNode}"));
            Console.WriteLine(Invariant($"weights root:     {registration.WeightsRoot}   {registration.WeightCount} weights"));
            Console.WriteLine(Invariant($"input size limit: {registration.InputSizeLimit} bytes   max node steps {registration.MaxNodeSteps:N0}"));
            return 0;
        });
        return cmd;
    }
}
