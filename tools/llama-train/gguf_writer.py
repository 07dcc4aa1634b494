"""A small GGUF v3 writer (llama.cpp's file format), just what this tool needs: F32 tensors only (llama.cpp's
quantizer makes the F16 and Q8_0 copies from the F32 file).

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

# ggml tensor type and llama.cpp general.file_type of an all-F32 file
GGML_F32 = 0
FILE_TYPE_ALL_F32 = 0


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


class GgufWriter:
    def __init__(self):
        self.kv = []       # (key, type, value)
        self.tensors = []  # (name, numpy shape (torch order), bytes)

    def add(self, key: str, vtype: int, value):
        self.kv.append((key, vtype, value))

    def add_tensor(self, name: str, x: np.ndarray):
        self.tensors.append((name, x.shape, x.astype("<f4").tobytes()))

    def write(self, path: str):
        head = bytearray()
        head += GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))
        for key, vtype, value in self.kv:
            head += _string(key) + struct.pack("<I", vtype) + _value(vtype, value)
        offset = 0
        offsets = []
        for name, shape, data in self.tensors:
            offsets.append(offset)
            ne = list(reversed(shape))
            head += _string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
            head += struct.pack("<IQ", GGML_F32, offset)
            offset += (len(data) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        head += b"\0" * ((-len(head)) % ALIGNMENT)
        with open(path, "wb") as f:
            f.write(head)
            for (name, shape, data), off in zip(self.tensors, offsets):
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGNMENT))
