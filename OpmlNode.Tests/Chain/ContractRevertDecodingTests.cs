using System.Numerics;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Tests.Chain;

/// <summary><see cref="ContractErrors"/> without a chain: known selectors decode to their DTO, unknown ones keep the
/// selector as the name, a plain revert reason is "Error(string)".</summary>
public class ContractRevertDecodingTests
{
    [Fact]
    public async Task KnownErrorDecodesWithItsArguments()
    {
        // WrongBond(uint256 expected, uint256 got) = 0x + selector + two words.
        var selector = ABITypedRegistry.GetError<WrongBondError>().Sha3Signature;
        var data = "0x" + selector + new BigInteger(1000).ToString("x64") + new BigInteger(999).ToString("x64");
        var e = await Assert.ThrowsAsync<ContractRevertException>(() =>
            ContractErrors.Decoding<int>("OpmlTasks", () => throw new SmartContractCustomErrorRevertException(data)));
        Assert.Equal("WrongBond", e.ErrorName);
        var wb = Assert.IsType<WrongBondError>(e.Error);
        Assert.Equal((new BigInteger(1000), new BigInteger(999)), (wb.Expected, wb.Got));
        Assert.Equal("OpmlTasks reverted with WrongBond(expected: 1000, got: 999)", e.Message);
    }

    [Fact]
    public async Task RiscvStepErrorsAreKnownToo()
    {
        var data = "0x" + ABITypedRegistry.GetError<BadMemoryProofError>().Sha3Signature;
        var e = await Assert.ThrowsAsync<ContractRevertException>(() =>
            ContractErrors.Decoding<int>("DisputeGame", () => throw new SmartContractCustomErrorRevertException(data)));
        Assert.Equal("BadMemoryProof", e.ErrorName);
        Assert.IsType<BadMemoryProofError>(e.Error);
    }

    [Fact]
    public async Task UnknownSelectorKeepsTheSelector()
    {
        var e = await Assert.ThrowsAsync<ContractRevertException>(() =>
            ContractErrors.Decoding<int>("OpmlTasks", () => throw new SmartContractCustomErrorRevertException("0xdeadbeef0000")));
        Assert.Equal("0xdeadbeef", e.ErrorName);
        Assert.Null(e.Error);
    }

    [Fact]
    public async Task PlainRevertReasonIsErrorString()
    {
        var e = await Assert.ThrowsAsync<ContractRevertException>(() =>
            ContractErrors.Decoding<int>("OpmlTasks", () => throw new SmartContractRevertException("boom", "0x")));
        Assert.Equal("Error(string)", e.ErrorName);
        Assert.Null(e.Error);
        Assert.Contains("boom", e.Message);
    }
}
