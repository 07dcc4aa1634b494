using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

/// <summary>One resolved input of a slot's VM start (docs/GRAPH.md §4).</summary>
/// <param name="SourceSlot">For NODE references at or after pass 0: the slot whose output this is (proved against S_g); else −1.</param>
/// <param name="Proof">WEIGHT: proof in the weights tree; NODE (SourceSlot ≥ 0): proof of the slot in S_g; else null.</param>
public sealed record SlotInput(InputRef Ref, byte[] Bytes, Hash256 Root, long SourceSlot, MerkleProof? Proof);
