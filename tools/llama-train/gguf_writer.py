"""A small GGUF v3 writer (llama.cpp's file format), just what this tool needs.

Layout: magic "GGUF", version u32 = 3, tensor count u64, KV count u64, the KV pairs, the tensor infos, zero padding
to `general.alignment` (32), then the tensor data, each tensor at an aligned offset relative to the data start.
ggml lists dims fastest first, so a torch weight [out, in] is written with ne = [in, out] and the same bytes.
"""

import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32

# GGUF metadata value types
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)

# ggml tensor types
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# llama.cpp general.file_type values
FILE_TYPE = {GGML_F32: 0, GGML_F16: 1, GGML_Q8_0: 7}
QK8_0 = 32


def _string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


_SCALAR = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I", T_INT32: "<i",
           T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d"}


def _value(vtype: int, value) -> bytes:
    if vtype == T_STRING:
        return _string(value)
    if vtype == T_ARRAY:
        etype, items = value
        out = struct.pack("<IQ", etype, len(items))
        return out + b"".join(_value(etype, v) for v in items)
    return struct.pack(_SCALAR[vtype], value)


def quantize_q8_0(x: np.ndarray) -> bytes:
    """Q8_0: blocks of 32 along rows, each an fp16 scale d = amax/127 then 32 int8 q = round(x/d) (ggml's rule)."""
    flat = x.astype(np.float32).reshape(-1, QK8_0)
    amax = np.abs(flat).max(axis=1)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.round(flat * inv[:, None]).astype(np.int8)
    blocks = np.empty(flat.shape[0], dtype=[("d", "<f2"), ("qs", "i1", QK8_0)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def dequantize_q8_0(data: bytes, shape) -> np.ndarray:
    blocks = np.frombuffer(data, dtype=[("d", "<f2"), ("qs", "i1", QK8_0)])
    return (blocks["qs"].astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


def encode_tensor(x: np.ndarray, ggml_type: int) -> bytes:
    if ggml_type == GGML_F32:
        return x.astype("<f4").tobytes()
    if ggml_type == GGML_F16:
        return x.astype("<f2").tobytes()
    if ggml_type == GGML_Q8_0:
        if x.shape[-1] % QK8_0 != 0:
            raise ValueError(f"Q8_0 needs rows of a multiple of {QK8_0}, got {x.shape}")
        return quantize_q8_0(x)
    raise ValueError(f"unsupported ggml type {ggml_type}")


class GgufWriter:
    def __init__(self):
        self.kv = []       # (key, type, value)
        self.tensors = []  # (name, numpy shape (torch order), ggml type, bytes)

    def add(self, key: str, vtype: int, value):
        self.kv.append((key, vtype, value))

    def add_tensor(self, name: str, x: np.ndarray, ggml_type: int):
        self.tensors.append((name, x.shape, ggml_type, encode_tensor(x, ggml_type)))

    def write(self, path: str):
        head = bytearray()
        head += GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))
        for key, vtype, value in self.kv:
            head += _string(key) + struct.pack("<I", vtype) + _value(vtype, value)
        offset = 0
        offsets = []
        for name, shape, gtype, data in self.tensors:
            offsets.append(offset)
            ne = list(reversed(shape))
            head += _string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
            head += struct.pack("<IQ", gtype, offset)
            offset += (len(data) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        head += b"\0" * ((-len(head)) % ALIGNMENT)
        with open(path, "wb") as f:
            f.write(head)
            for (name, shape, gtype, data), off in zip(self.tensors, offsets):
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGNMENT))
