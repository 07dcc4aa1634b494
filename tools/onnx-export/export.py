#!/usr/bin/python3
"""Exports the small float models of models/onnx-torch/ from PyTorch (Debian python3-torch 1.13, python3-onnx).

Run from the repository root with the system python (the one that has torch):

    /usr/bin/python3 tools/onnx-export/export.py [--out models/onnx-torch]

Every model directory gets model.onnx, calibrate/set_NN/input_K.pb (calibration inputs, one serialized TensorProto
per graph input in input order, the layout of ONNX's own test data sets) and evaluate/set_NN/input_K.pb with
output_0.pb (held-out inputs and torch's float output for them). Seeds are fixed and torch runs on one CPU thread
with deterministic algorithms, so a rerun writes byte-identical files (the script prints their sha256).
"""
import argparse
import hashlib
import math
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

OPSET = 13  # torch 1.13 writes LayerNorm as the ReduceMean subgraph and GELU via Erf at this opset
OPSET_LN = 17  # ... and LayerNorm as the LayerNormalization op at opset 17 (the highest torch 1.13 and the importer take)
N_CALIBRATE = 16
N_EVALUATE = 16


# ---------------------------------------------------------------------------------------------- (a) MLP classifier

class Mlp(nn.Module):
    """256 features → 128 (ReLU) → 64 (GELU, erf) → 10 logits."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)
        self.relu = nn.ReLU()
        self.gelu = nn.GELU()

    def forward(self, x):
        return self.fc3(self.gelu(self.fc2(self.relu(self.fc1(x)))))


def mlp_data(g, centres, n):
    """n samples of the synthetic task: a class centre plus unit Gaussian noise, labels 0..9."""
    y = torch.randint(0, 10, (n,), generator=g)
    x = centres[y] + torch.randn(n, 256, generator=g)
    return x, y


def build_mlp():
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(11)
    centres = 0.2 * torch.randn(10, 256, generator=g)
    model = Mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(300):  # about a second: enough to separate the classes
        x, y = mlp_data(g, centres, 64)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    xt, yt = mlp_data(g, centres, 1000)
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(f"mlp: final train loss {loss.item():.4f}, held-out accuracy {acc:.3f}")
    cal = [mlp_data(g, centres, 1)[0] for _ in range(N_CALIBRATE)]
    ev = [mlp_data(g, centres, 1)[0] for _ in range(N_EVALUATE)]
    return model, (torch.zeros(1, 256),), ["x"], ["logits"], [(x,) for x in cal], [(x,) for x in ev]


# ---------------------------------------------------------------------------------------------- (b) encoder block

VOCAB, SEQ, DIM, HEADS, FFN = 100, 16, 64, 4, 128


class SelfAttention(nn.Module):
    """Multi-head self-attention written out: projections, head split, Q·Kᵀ/√d + additive padding mask, softmax, ·V."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(DIM, DIM)
        self.k = nn.Linear(DIM, DIM)
        self.v = nn.Linear(DIM, DIM)
        self.o = nn.Linear(DIM, DIM)

    def heads(self, t):
        b, l, _ = t.shape
        return t.view(b, l, HEADS, DIM // HEADS).transpose(1, 2)

    def forward(self, x, mask_add):
        b, l, _ = x.shape
        q, k, v = self.heads(self.q(x)), self.heads(self.k(x)), self.heads(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(DIM // HEADS) + mask_add
        p = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(p, v).transpose(1, 2).reshape(b, l, DIM)
        return self.o(ctx)


class Encoder(nn.Module):
    """Token + position embeddings, LayerNorm, one post-LN block (attention, residual, LN, GELU FFN, residual, LN)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Parameter(0.1 * torch.randn(1, SEQ, DIM))
        self.ln0 = nn.LayerNorm(DIM)
        self.attn = SelfAttention()
        self.ln1 = nn.LayerNorm(DIM)
        self.ff1 = nn.Linear(DIM, FFN)
        self.ff2 = nn.Linear(FFN, DIM)
        self.gelu = nn.GELU()
        self.ln2 = nn.LayerNorm(DIM)

    def forward(self, input_ids, attention_mask):
        x = self.ln0(self.tok(input_ids) + self.pos)
        m = attention_mask.unsqueeze(1).unsqueeze(2).to(torch.float32)
        mask_add = (1.0 - m) * -10000.0
        x = self.ln1(x + self.attn(x, mask_add))
        return self.ln2(x + self.ff2(self.gelu(self.ff1(x))))


def encoder_sample(g):
    """Random token ids 1..VOCAB−1 over a random length 4..SEQ, padded with id 0; the mask is ids ≠ 0."""
    n = int(torch.randint(4, SEQ + 1, (1,), generator=g))
    ids = torch.zeros(1, SEQ, dtype=torch.int64)
    ids[0, :n] = torch.randint(1, VOCAB, (n,), generator=g)
    return ids, (ids != 0).to(torch.int64)


def build_encoder():
    torch.manual_seed(2)
    g = torch.Generator().manual_seed(22)
    model = Encoder().eval()
    with torch.no_grad():
        # Torch's default init leaves the attention almost uniform (score std ≈ 0.3) and the attention branch small
        # beside the residual; sharpen it as training would (score std ≈ 3) so the int8 softmax and the mask matter.
        for lin, f in ((model.attn.q, 3.0), (model.attn.k, 3.0), (model.attn.v, 2.0), (model.attn.o, 2.0)):
            lin.weight.mul_(f)
    cal = [encoder_sample(g) for _ in range(N_CALIBRATE)]
    ev = [encoder_sample(g) for _ in range(N_EVALUATE)]
    dummy = (torch.ones(1, SEQ, dtype=torch.int64), torch.ones(1, SEQ, dtype=torch.int64))
    return model, dummy, ["input_ids", "attention_mask"], ["last_hidden_state"], cal, ev


# ---------------------------------------------------------------------------------------------- (c) nn.TransformerEncoderLayer

class TorchLayer(nn.Module):
    """PyTorch's own nn.TransformerEncoderLayer (packed in_proj, nn.MultiheadAttention), d 32, 4 heads, GELU FFN 64."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu", batch_first=True)

    def forward(self, x):
        return self.layer(x)


def build_torch_layer():
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(33)
    model = TorchLayer().eval()
    cal = [(torch.randn(1, 8, 32, generator=g),) for _ in range(N_CALIBRATE)]
    ev = [(torch.randn(1, 8, 32, generator=g),) for _ in range(N_EVALUATE)]
    return model, (torch.zeros(1, 8, 32),), ["x"], ["y"], cal, ev


def uniform_attention_cosine(model, ev):
    """Per-token cosine of the float layer with uniform attention (the mean of V) against the layer itself: how much a
    broken attention would cost, for the tests' bounds (nothing is written)."""
    layer, d = model.layer, model.layer.self_attn.embed_dim
    cos = []
    with torch.no_grad():
        for (x,) in ev:
            v = x @ layer.self_attn.in_proj_weight[2 * d:].T + layer.self_attn.in_proj_bias[2 * d:]
            h = layer.norm1(x + layer.self_attn.out_proj(v.mean(1, keepdim=True).expand_as(v)))
            cos.append(nn.functional.cosine_similarity(layer(x), layer.norm2(h + layer._ff_block(h)), dim=-1).flatten())
    c = torch.cat(cos)
    print(f"torch-encoder-layer: uniform attention vs the layer, per token: cosine mean {c.mean():.5f} min {c.min():.5f}")


# ---------------------------------------------------------------------------------------------- writing

def write_tensor(path, array, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def export(name, build, out, opset=OPSET, report=None):
    model, dummy, inputs, outputs, cal, ev = build()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    # Not under no_grad: there torch 1.13 runs nn.TransformerEncoderLayer as its fused fast path, which has no export.
    torch.onnx.export(model, dummy, path, input_names=inputs, output_names=outputs, opset_version=opset,
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    for kind, sets in (("calibrate", cal), ("evaluate", ev)):
        for s, sample in enumerate(sets):
            sd = os.path.join(d, kind, f"set_{s:02d}")
            for i, (t, n) in enumerate(zip(sample, inputs)):
                write_tensor(os.path.join(sd, f"input_{i}.pb"), t.numpy(), n)
            if kind == "evaluate":
                with torch.no_grad():
                    y = model(*sample)
                write_tensor(os.path.join(sd, "output_0.pb"), y.numpy(), outputs[0])
    if report is not None:
        report(model, ev)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join("models", "onnx-torch"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    print(f"torch {torch.__version__}, onnx {onnx.version.version}, opsets {OPSET} and {OPSET_LN}")
    export("mlp", build_mlp, args.out)
    export("encoder", build_encoder, args.out)
    export("encoder-opset17", build_encoder, args.out, OPSET_LN)  # the same weights and inputs
    export("torch-encoder-layer", build_torch_layer, args.out, report=uniform_attention_cosine)
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(args.out)):
        for f in sorted(files):
            if f.endswith((".onnx", ".pb")):
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    h.update(os.path.relpath(p, args.out).encode() + b"\0" + fh.read())
    print(f"sha256 over every .onnx/.pb: {h.hexdigest()}")


if __name__ == "__main__":
    main()
