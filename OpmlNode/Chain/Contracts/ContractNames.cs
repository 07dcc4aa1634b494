namespace OpmlNode.Chain.Contracts;

// The hand-written part of the bindings: the contract tags. Every DTO, struct and enum is generated from forge's
// artifacts and Types.sol (Generated/*.g.cs, tools/bindings/generate.js).

/// <summary>Marks a function, event or deployment DTO as part of one contract's ABI, so ContractBindingAbiTests
/// can check every DTO against that contract's forge artifact. (Errors are file-level in Errors.sol and shared.)</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ContractAbiAttribute(string contract) : Attribute
{
    public string Contract { get; } = contract;
}

/// <summary>The contract names used in <see cref="ContractAbiAttribute"/> (= forge artifact names).</summary>
public static class ContractNames
{
    public const string RiscvStep = "RiscvStep";
    public const string ModelRegistry = "ModelRegistry";
    public const string OpmlTasks = "OpmlTasks";
    public const string DisputeGame = "DisputeGame";
}
