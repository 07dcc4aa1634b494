#!/usr/bin/python3
"""Train a small LLaMA-architecture byte-level model on the King James Bible and write it as an F32 GGUF.

Only the F32 file is written: the F16 and Q8_0 copies the tests measure are made from it by llama.cpp's own quantizer
(OpmlNode.Tests KjvModel, through LLamaSharp), as a llama.cpp user makes them with llama-quantize.

Architecture (llama.cpp's `llama`): token embedding, N blocks of [RMSNorm → attention (RoPE, causal, GQA) →
residual, RMSNorm → SwiGLU FFN → residual], final RMSNorm, untied output projection.

RoPE uses the *interleaved* pair convention (Meta's original LLaMA code; llama.cpp's "normal" rope; OPS §5.8): pairs
(x[2i], x[2i+1]) within each head. So the Q/K weights are written to GGUF as they are: llama.cpp's converter
permutes Wq/Wk only for HF checkpoints, whose rotate-half convention pairs (x[i], x[i + hd/2]).

Vocabulary: token id b (0..255) is the byte b; 256 <unk>, 257 <s>, 258 </s> (never used in training; llama.cpp's
`llama` (SentencePiece) vocabulary wants them). Byte tokens are spelled "<0xXX>" with token type BYTE, as
llama.cpp's SPM byte fallback expects.

Text: `bible -l 10000` (Debian bible-kjv with bible-kjv-text), one verse per line. Training text: Genesis 1:1 to
Jude 1:25. Held-out text (never trained on): the whole book of Revelation (rev1:1-rev22:21, 64 241 bytes).

Deterministic: fixed seeds, one thread, torch.use_deterministic_algorithms; the step count is fixed (--steps), and
--max-minutes only stops early as a safety net (the file's general.description then says so).

Run (≈ 10 min on one core):  nice -n 19 /usr/bin/python3 tools/llama-train/train.py --out-dir models/llama-kjv
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402

TRAIN_SPEC = "gen1:1-jude1:25"
HELDOUT_SPEC = "rev1:1-rev22:21"
# Calibration sample for `opml-node model import-gguf --calibrate` (from the training text, so never the held-out).
CALIBRATION_SPECS = ["gen1:1-gen2:25", "ps1:1-ps10:18", "matt5:1-matt5:48", "acts2:1-acts2:47"]
VOCAB = 259
UNK, BOS, EOS = 256, 257, 258


class Config:
    def __init__(self, **kw):
        self.dim = 128
        self.layers = 4
        self.heads = 4
        self.kv_heads = 2
        self.ffn = 384
        self.ctx = 256
        self.eps = 1e-5
        self.rope_base = 10000.0
        self.__dict__.update(kw)

    @property
    def head_dim(self):
        return self.dim // self.heads


def bible_text(spec: str) -> bytes:
    return subprocess.run(["bible", "-l", "10000", spec], check=True, capture_output=True).stdout


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: Config):
    hd = cfg.head_dim
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(cfg.ctx, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    """x [B, T, H, hd]; interleaved pairs (x[2i], x[2i+1]) rotated by angle pos·θ_i."""
    T = x.shape[1]
    a, b = x[..., 0::2], x[..., 1::2]
    c, s = cos[:T][None, :, None, :], sin[:T][None, :, None, :]
    return torch.stack((a * c - b * s, a * s + b * c), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.attn_norm = RMSNorm(cfg.dim, cfg.eps)
        self.wq = nn.Linear(cfg.dim, cfg.heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.heads * hd, cfg.dim, bias=False)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.eps)
        self.w_gate = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.w_up = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.w_down = nn.Linear(cfg.ffn, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        cfg = self.cfg
        B, T, _ = x.shape
        hd = cfg.head_dim
        h = self.attn_norm(x)
        q = apply_rope(self.wq(h).view(B, T, cfg.heads, hd), cos, sin).transpose(1, 2)
        k = apply_rope(self.wk(h).view(B, T, cfg.kv_heads, hd), cos, sin).transpose(1, 2)
        v = self.wv(h).view(B, T, cfg.kv_heads, hd).transpose(1, 2)
        rep = cfg.heads // cfg.kv_heads
        k = k.repeat_interleave(rep, dim=1)  # kv head g serves query heads g·rep .. g·rep + rep − 1 (llama.cpp's GQA)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask[:T, :T]
        a = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, cfg.heads * hd)
        x = x + self.wo(a)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(VOCAB, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        self.output = nn.Linear(cfg.dim, VOCAB, bias=False)
        cos, sin = rope_tables(cfg)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("mask", torch.full((cfg.ctx, cfg.ctx), float("-inf")).triu(1), persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
            if name.endswith("wo.weight") or name.endswith("w_down.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.layers))

    def forward(self, tokens):
        x = self.embed(tokens)
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin, self.mask)
        return self.output(self.norm(x))


def batches(data: np.ndarray, batch: int, ctx: int, rng: np.random.Generator):
    while True:
        starts = rng.integers(0, len(data) - ctx - 1, size=batch)
        x = np.stack([data[s:s + ctx + 1] for s in starts]).astype(np.int64)
        yield torch.from_numpy(x[:, :-1]), torch.from_numpy(x[:, 1:])


@torch.no_grad()
def heldout_loss(model, data: np.ndarray, ctx: int):
    """Mean next-byte NLL (nats) over non-overlapping windows of the held-out text (each window from position 0)."""
    model.eval()
    total, n = 0.0, 0
    for s in range(0, len(data) - ctx - 1, ctx):
        x = torch.from_numpy(data[s:s + ctx + 1].astype(np.int64))[None]
        logits = model(x[:, :-1])
        total += F.cross_entropy(logits[0].double(), x[0, 1:], reduction="sum").item()
        n += ctx
    model.train()
    return total / n


def tokenizer_kv(w: gw.GgufWriter):
    tokens = [f"<0x{b:02X}>" for b in range(256)] + ["<unk>", "<s>", "</s>"]
    types = [6] * 256 + [2, 3, 3]  # BYTE, UNKNOWN, CONTROL
    w.add("tokenizer.ggml.model", gw.T_STRING, "llama")
    w.add("tokenizer.ggml.tokens", gw.T_ARRAY, (gw.T_STRING, tokens))
    w.add("tokenizer.ggml.scores", gw.T_ARRAY, (gw.T_FLOAT32, [0.0] * VOCAB))
    w.add("tokenizer.ggml.token_type", gw.T_ARRAY, (gw.T_INT32, types))
    w.add("tokenizer.ggml.unknown_token_id", gw.T_UINT32, UNK)
    w.add("tokenizer.ggml.bos_token_id", gw.T_UINT32, BOS)
    w.add("tokenizer.ggml.eos_token_id", gw.T_UINT32, EOS)
    w.add("tokenizer.ggml.add_bos_token", gw.T_BOOL, False)
    w.add("tokenizer.ggml.add_eos_token", gw.T_BOOL, False)


def write_gguf(model: Llama, path: str, description: str):
    cfg = model.cfg
    w = gw.GgufWriter()
    w.add("general.architecture", gw.T_STRING, "llama")
    w.add("general.name", gw.T_STRING, "llama-kjv")
    w.add("general.description", gw.T_STRING, description)
    w.add("general.file_type", gw.T_UINT32, gw.FILE_TYPE_ALL_F32)
    w.add("general.alignment", gw.T_UINT32, gw.ALIGNMENT)
    w.add("llama.context_length", gw.T_UINT32, cfg.ctx)
    w.add("llama.embedding_length", gw.T_UINT32, cfg.dim)
    w.add("llama.block_count", gw.T_UINT32, cfg.layers)
    w.add("llama.feed_forward_length", gw.T_UINT32, cfg.ffn)
    w.add("llama.attention.head_count", gw.T_UINT32, cfg.heads)
    w.add("llama.attention.head_count_kv", gw.T_UINT32, cfg.kv_heads)
    w.add("llama.attention.layer_norm_rms_epsilon", gw.T_FLOAT32, cfg.eps)
    w.add("llama.rope.freq_base", gw.T_FLOAT32, cfg.rope_base)
    w.add("llama.rope.dimension_count", gw.T_UINT32, cfg.head_dim)
    w.add("llama.vocab_size", gw.T_UINT32, VOCAB)
    tokenizer_kv(w)

    def t(name, x):
        w.add_tensor(name, x.detach().cpu().numpy().astype(np.float32))

    t("token_embd.weight", model.embed.weight)
    for i, b in enumerate(model.blocks):
        t(f"blk.{i}.attn_norm.weight", b.attn_norm.weight)
        t(f"blk.{i}.attn_q.weight", b.wq.weight)
        t(f"blk.{i}.attn_k.weight", b.wk.weight)
        t(f"blk.{i}.attn_v.weight", b.wv.weight)
        t(f"blk.{i}.attn_output.weight", b.wo.weight)
        t(f"blk.{i}.ffn_norm.weight", b.ffn_norm.weight)
        t(f"blk.{i}.ffn_gate.weight", b.w_gate.weight)
        t(f"blk.{i}.ffn_up.weight", b.w_up.weight)
        t(f"blk.{i}.ffn_down.weight", b.w_down.weight)
    t("output_norm.weight", model.norm.weight)
    t("output.weight", model.output.weight)
    w.write(path)


@torch.no_grad()
def write_reference(model: Llama, held: np.ndarray, path: str, n_seq=3, length=64):
    """Float logits of the torch model for n_seq held-out windows (each from position 0): the GGUF check's reference.
    Layout (little-endian): magic "KJVREF01", i32 n_seq, i32 length, i32 vocab, i32 tokens[n_seq·length],
    f32 logits[n_seq·length·vocab]."""
    model.eval()
    starts = [0, len(held) // 3, 2 * len(held) // 3]
    toks = np.stack([held[s:s + length] for s in starts[:n_seq]]).astype(np.int64)
    logits = model(torch.from_numpy(toks)).numpy().astype("<f4")
    with open(path, "wb") as f:
        f.write(b"KJVREF01" + struct.pack("<iii", n_seq, length, VOCAB))
        f.write(toks.astype("<i4").tobytes())
        f.write(logits.tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default="models/llama-kjv")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256, help="training window (≤ context 256; RoPE covers 0..255)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-minutes", type=float, default=20.0)
    ap.add_argument("--bench", type=int, default=0, help="time this many steps, then exit (writes nothing)")
    # The shape; the defaults are the committed model's. dim, FFN and heads·head_dim must be multiples of 32 (Q8_0 rows).
    ap.add_argument("--dim", type=int, default=Config().dim)
    ap.add_argument("--layers", type=int, default=Config().layers)
    ap.add_argument("--heads", type=int, default=Config().heads)
    ap.add_argument("--kv-heads", type=int, default=Config().kv_heads, help="< --heads: grouped-query attention")
    ap.add_argument("--ffn", type=int, default=Config().ffn)
    args = ap.parse_args()

    torch.set_num_threads(1)  # the machine's cores are shared
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)

    train = np.frombuffer(bible_text(TRAIN_SPEC), dtype=np.uint8)
    held = np.frombuffer(bible_text(HELDOUT_SPEC), dtype=np.uint8)
    cfg = Config(dim=args.dim, layers=args.layers, heads=args.heads, kv_heads=args.kv_heads, ffn=args.ffn)
    model = Llama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"text: train {len(train)} bytes ({TRAIN_SPEC}), held-out {len(held)} bytes ({HELDOUT_SPEC})")
    print(f"model: dim {cfg.dim}, layers {cfg.layers}, heads {cfg.heads}/{cfg.kv_heads} kv, ffn {cfg.ffn}, "
          f"ctx {cfg.ctx}, vocab {VOCAB}: {n_params:,} parameters", flush=True)

    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warm = max(1, args.steps // 30)

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, args.steps - warm))))

    gen = batches(train, args.batch, args.seq, rng)
    t0 = time.time()
    ema = None
    done = 0
    stopped_early = False
    n_steps = args.bench or args.steps
    for step in range(n_steps):
        if time.time() - t0 > args.max_minutes * 60:
            stopped_early = True
            print(f"stopping at step {step}: --max-minutes {args.max_minutes} reached", flush=True)
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = next(gen)
        loss = F.cross_entropy(model(x).view(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        done = step + 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 25 == 0 or step == n_steps - 1:
            el = time.time() - t0
            print(f"step {step:5d}/{n_steps}  loss {loss.item():.4f}  ema {ema:.4f}  lr {lr_at(step):.2e}  "
                  f"{el:7.1f} s  ({el / (step + 1):.2f} s/step)", flush=True)
    if args.bench:
        return

    held_nll = heldout_loss(model, held, cfg.ctx)
    print(f"held-out (Revelation) NLL {held_nll:.4f} nats/byte, perplexity {math.exp(held_nll):.3f}", flush=True)
    os.makedirs(args.out_dir, exist_ok=True)
    desc = (f"byte-level LLaMA trained on KJV {TRAIN_SPEC}, held-out {HELDOUT_SPEC}; seed {args.seed}, "
            f"{done} steps of {args.batch}x{args.seq} tokens{' (stopped early by the time cap)' if stopped_early else ''}; "
            f"held-out NLL {held_nll:.4f}")
    path = os.path.join(args.out_dir, "llama-kjv-f32.gguf")
    write_gguf(model, path, desc)
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")
    write_reference(model, held, os.path.join(args.out_dir, "reference-logits.bin"))
    with open(os.path.join(args.out_dir, "heldout-revelation.txt"), "wb") as f:
        f.write(held.tobytes())
    with open(os.path.join(args.out_dir, "calibration-kjv.txt"), "wb") as f:
        f.write(b"".join(bible_text(spec) for spec in CALIBRATION_SPECS))
    with open(os.path.join(args.out_dir, "train-log.json"), "w") as f:
        json.dump({"steps": done, "stopped_early": stopped_early, "batch": args.batch, "seq": args.seq,
                   "lr": args.lr, "seed": args.seed, "params": n_params, "final_loss_ema": ema,
                   "heldout_nll": held_nll, "heldout_ppl": math.exp(held_nll), "seconds": time.time() - t0,
                   "train_spec": TRAIN_SPEC, "heldout_spec": HELDOUT_SPEC, "torch": torch.__version__}, f, indent=1)
    torch.save(model.state_dict(), os.path.join("/tmp", "llama-kjv.pt"))


if __name__ == "__main__":
    main()
