using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;

namespace OpmlNode.Dispute;

/// <summary>A task as both sides of a dispute see it: the model, its registration, the input and the passes.</summary>
public sealed class DisputeTask(IModel model, ModelRoots roots, VmBackend vm, byte[] input, int passes, ulong maxNodeSteps, IOpBackend? backend = null)
{
    public IModel Model { get; } = model;
    public ModelRoots Roots { get; } = roots;
    public byte[] Input { get; } = input;
    public int Passes { get; } = passes;
    public ulong MaxNodeSteps { get; } = maxNodeSteps;
    public RegisteredModel Registered { get; } = RegisteredModel.Of(model, roots, vm, maxNodeSteps);

    /// <summary>A party computing this task natively, honest or lying as <paramref name="lie"/> says.</summary>
    public DisputeParty Party(FaultInjection? lie = null) =>
        new(new GraphTrace(Model, Roots, Input, Passes, backend, lie), vm, MaxNodeSteps, lie);
}
