#!/usr/bin/python3
"""Train a SentencePiece BPE vocabulary on the King James Bible and write a tiny LLaMA GGUF that uses it.

The model tests the node's SentencePiece tokenizer and the import path, not accuracy: the weights are seeded random
(not trained). The vocabulary is a real SentencePiece model (Debian python3-sentencepiece), written into the GGUF as
llama.cpp's converter (convert_hf_to_gguf.py, _create_vocab_sentencepiece) writes one: tokenizer.ggml.model "llama",
tokens = IdToPiece, scores = GetScore, token_type NORMAL 1 / UNKNOWN 2 / CONTROL 3 / UNUSED 5 / BYTE 6.

Vocabulary: BPE, 512 pieces, byte_fallback (256 pieces "<0xXX>"), <unk> 0, <s> 1, </s> 2, identity normalisation,
add_dummy_prefix on, extra whitespace kept (as LLaMA's own tokenizer.model), digits split, character coverage 0.9995
(rare characters fall back to bytes). Training text: `bible -l 10000 gen1:1-jude1:25` (Revelation is held out, as in
tools/llama-train). One thread, no shuffling: the same pieces and scores every run.

Run:  nice -n 19 /usr/bin/python3 tools/llama-spm/make_spm.py --out-dir models/llama-spm
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import sentencepiece as spm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "llama-train"))
import gguf_writer as gw  # noqa: E402

TRAIN_SPEC = "gen1:1-jude1:25"
VOCAB = 512
DIM, LAYERS, HEADS, KV_HEADS, FFN, CTX = 64, 2, 4, 2, 192, 128


def bible_text(spec: str) -> bytes:
    return subprocess.run(["bible", "-l", "10000", spec], check=True, capture_output=True).stdout


def train_vocab(out_dir: str) -> spm.SentencePieceProcessor:
    # Relative names (run in out_dir): the trainer records them in llama-spm.model, which stays byte-identical.
    cwd = os.getcwd()
    os.chdir(out_dir)
    try:
        with open("kjv-train.txt", "wb") as f:
            f.write(bible_text(TRAIN_SPEC))
        spm.SentencePieceTrainer.train(
            input="kjv-train.txt", model_prefix="llama-spm", model_type="bpe", vocab_size=VOCAB,
            byte_fallback=True, split_digits=True, normalization_rule_name="identity", add_dummy_prefix=True,
            remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, character_coverage=0.9995,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, shuffle_input_sentence=False,
            input_sentence_size=0, minloglevel=2)
        os.remove("kjv-train.txt")
        os.remove("llama-spm.vocab")  # the same pieces and scores are in the GGUF
    finally:
        os.chdir(cwd)
    return spm.SentencePieceProcessor(model_file=os.path.join(out_dir, "llama-spm.model"))


def tokenizer_kv(w: gw.GgufWriter, sp: spm.SentencePieceProcessor):
    tokens, scores, types = [], [], []
    for i in range(sp.vocab_size()):
        tokens.append(sp.IdToPiece(i))
        scores.append(sp.GetScore(i))
        types.append(2 if sp.IsUnknown(i) else 3 if sp.IsControl(i) else 5 if sp.IsUnused(i) else 6 if sp.IsByte(i) else 1)
    w.add("tokenizer.ggml.model", gw.T_STRING, "llama")
    w.add("tokenizer.ggml.pre", gw.T_STRING, "default")
    w.add("tokenizer.ggml.tokens", gw.T_ARRAY, (gw.T_STRING, tokens))
    w.add("tokenizer.ggml.scores", gw.T_ARRAY, (gw.T_FLOAT32, scores))
    w.add("tokenizer.ggml.token_type", gw.T_ARRAY, (gw.T_INT32, types))
    w.add("tokenizer.ggml.unknown_token_id", gw.T_UINT32, sp.unk_id())
    w.add("tokenizer.ggml.bos_token_id", gw.T_UINT32, sp.bos_id())
    w.add("tokenizer.ggml.eos_token_id", gw.T_UINT32, sp.eos_id())
    w.add("tokenizer.ggml.add_bos_token", gw.T_BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", gw.T_BOOL, False)
    w.add("tokenizer.ggml.add_space_prefix", gw.T_BOOL, True)


def write_gguf(path: str, sp: spm.SentencePieceProcessor, seed: int):
    rng = np.random.default_rng(seed)
    hd = DIM // HEADS

    def rand(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)

    w = gw.GgufWriter()
    w.add("general.architecture", gw.T_STRING, "llama")
    w.add("general.name", gw.T_STRING, "llama-spm")
    w.add("general.description", gw.T_STRING, f"untrained (seed {seed}) tiny LLaMA with a SentencePiece BPE vocabulary of {VOCAB} trained on KJV {TRAIN_SPEC}")
    w.add("general.file_type", gw.T_UINT32, gw.FILE_TYPE_ALL_F32)
    w.add("general.alignment", gw.T_UINT32, gw.ALIGNMENT)
    w.add("llama.context_length", gw.T_UINT32, CTX)
    w.add("llama.embedding_length", gw.T_UINT32, DIM)
    w.add("llama.block_count", gw.T_UINT32, LAYERS)
    w.add("llama.feed_forward_length", gw.T_UINT32, FFN)
    w.add("llama.attention.head_count", gw.T_UINT32, HEADS)
    w.add("llama.attention.head_count_kv", gw.T_UINT32, KV_HEADS)
    w.add("llama.attention.layer_norm_rms_epsilon", gw.T_FLOAT32, 1e-5)
    w.add("llama.rope.freq_base", gw.T_FLOAT32, 10000.0)
    w.add("llama.rope.dimension_count", gw.T_UINT32, hd)
    w.add("llama.vocab_size", gw.T_UINT32, sp.vocab_size())
    tokenizer_kv(w, sp)
    w.add_tensor("token_embd.weight", rand(sp.vocab_size(), DIM))
    for i in range(LAYERS):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(DIM, np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", rand(DIM, DIM))
        w.add_tensor(f"blk.{i}.attn_k.weight", rand(KV_HEADS * hd, DIM))
        w.add_tensor(f"blk.{i}.attn_v.weight", rand(KV_HEADS * hd, DIM))
        w.add_tensor(f"blk.{i}.attn_output.weight", rand(DIM, DIM))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(DIM, np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(FFN, DIM))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(FFN, DIM))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(DIM, FFN))
    w.add_tensor("output_norm.weight", np.ones(DIM, np.float32))
    w.add_tensor("output.weight", rand(sp.vocab_size(), DIM))
    w.write(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default="models/llama-spm")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    sp = train_vocab(args.out_dir)
    path = os.path.join(args.out_dir, "llama-spm-f32.gguf")
    write_gguf(path, sp, args.seed)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), vocab {sp.vocab_size()}")


if __name__ == "__main__":
    main()
