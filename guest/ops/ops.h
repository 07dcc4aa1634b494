/* opml-ops guest: shared definitions (docs/OPS.md, docs/PROTOCOL.md §3).
 *
 * Memory map: region 1 (0x10000000) = the 352-byte node descriptor, region 2+i
 * (0x20000000 + i*0x10000000) = input i, region 10 (0xA0000000) = output.
 * Scratch memory (softmax rows, attention buffers) is a bump allocator in
 * region 0 above the image; the stack grows down from 0x10000000.
 */
#ifndef OPML_OPS_H
#define OPML_OPS_H

#include "opml.h"

/* ---- exit codes (one per error class; documented in guest/ops/README.md) ---- */
enum {
    E_OK = 0,
    E_MAGIC = 1,      /* magic != "OPML" */
    E_VERSION = 2,    /* version != 1 */
    E_OP = 3,         /* op code not in 1..15 */
    E_NINPUTS = 4,    /* header nInputs > 8 */
    E_NONCANON = 5,   /* a reserved byte, unused dim, unused input record or unused param is nonzero */
    E_TYPE = 6,       /* element type code not in 1..3 (output or input record) */
    E_RANK = 7,       /* rank not in 1..4 */
    E_DIM = 8,        /* a used dim is 0 or > 2^28, or the tensor is larger than 2^28 bytes */
    E_REF = 9,        /* ref kind not 1..3, lag != 0 on a non-NODE ref, TASK_INPUT index != 0 */
    E_ARITY = 10,     /* wrong number of inputs for the op (incl. flag-dependent optional inputs) */
    E_OPTYPE = 11,    /* an input or output element type the op does not allow */
    E_SHAPE = 12,     /* an op shape rule (OPS §5) */
    E_PARAM = 13,     /* an op parameter rule: shift, clamp range, flags, mode, eps, n0, first, H/Hkv, hd, |Ma|,|Mb| */
};

/* ---- descriptor layout (OPS §2) ---- */
typedef struct {
    uint8_t kind, type, rank, rsv0;
    uint32_t index, lag;
    uint32_t dims[4];
    uint32_t rsv1;
} InRec;

typedef struct {
    uint32_t magic;
    uint16_t version, op;
    uint8_t nin, otype, orank, rsv0;
    uint32_t odims[4];
    uint32_t rsv1;
    InRec in[8];
    int32_t p[16];
} Desc;

_Static_assert(sizeof(InRec) == 32, "input record is 32 bytes");
_Static_assert(sizeof(Desc) == 352, "descriptor is 352 bytes");
_Static_assert(__builtin_offsetof(Desc, in) == 32, "inputs at 32");
_Static_assert(__builtin_offsetof(Desc, p) == 288, "params at 288");

#define DESC ((const Desc *)0x10000000u)
#define INPUT(i) ((const void *)(0x20000000u + (uint32_t)(i) * 0x10000000u))
#define OUTPUT ((void *)0xA0000000u)

enum { T_I8 = 1, T_I16 = 2, T_I32 = 3 };
enum { K_WEIGHT = 1, K_TASK = 2, K_NODE = 3 };

/* A validated tensor spec with its 2-D view. */
typedef struct {
    uint32_t type, rank;
    uint32_t d[4];
    uint32_t count, rows, cols, bytes;
} Spec;

/* Validated view of the descriptor, filled by validate(). */
typedef struct {
    uint32_t op, nin;
    Spec out;
    Spec in[8];
    const int32_t *p;
} Node;

int validate(Node *n);

/* ---- numeric helpers (OPS §1.3, §1.6) ---- */
static inline uint32_t tsize(uint32_t t) { return t == T_I8 ? 1u : t == T_I16 ? 2u : 4u; }
static inline int32_t tmin(uint32_t t) { return t == T_I8 ? -128 : t == T_I16 ? -32768 : INT32_MIN; }
static inline int32_t tmax(uint32_t t) { return t == T_I8 ? 127 : t == T_I16 ? 32767 : INT32_MAX; }

/* RoundShift(x, s), s in 0..62: round half up. The add is done unsigned (the
 * OPS §1.4 bounds guarantee it does not overflow; unsigned keeps C defined). */
static inline int64_t round_shift(int64_t x, uint32_t s)
{
    if (s == 0)
        return x;
    return (int64_t)((uint64_t)x + ((uint64_t)1 << (s - 1))) >> s;
}

static inline int64_t requant(int32_t acc, int32_t m, uint32_t s)
{
    return round_shift((int64_t)acc * (int64_t)m, s);
}

/* Clamp bounds: [max(qmin, min T), min(qmax, max T)]. */
typedef struct { int32_t lo, hi; } Clampb;

static inline Clampb clamp_bounds(int32_t qmin, int32_t qmax, uint32_t t)
{
    Clampb c;
    c.lo = qmin > tmin(t) ? qmin : tmin(t);
    c.hi = qmax < tmax(t) ? qmax : tmax(t);
    return c;
}

static inline int32_t clamp64(int64_t v, Clampb c)
{
    return v < c.lo ? c.lo : v > c.hi ? c.hi : (int32_t)v;
}

/* Element i of a tensor, sign-extended / store (value already in range). */
static inline int32_t ld(const void *base, uint32_t t, uint32_t i)
{
    if (t == T_I8)
        return ((const int8_t *)base)[i];
    if (t == T_I16)
        return ((const int16_t *)base)[i];
    return ((const int32_t *)base)[i];
}

static inline void st(void *base, uint32_t t, uint32_t i, int32_t v)
{
    if (t == T_I8)
        ((int8_t *)base)[i] = (int8_t)v;
    else if (t == T_I16)
        ((int16_t *)base)[i] = (int16_t)v;
    else
        ((int32_t *)base)[i] = v;
}

uint64_t isqrt64(uint64_t v);
void copy_bytes(void *dst, const void *src, uint32_t n);
void zero_bytes(void *dst, uint32_t n);
void *scratch(uint32_t bytes);
/* OPS §5.7 SoftmaxRow; allowed == 0 means all positions allowed. */
void softmax_row(const int32_t *t, const uint8_t *allowed, uint32_t n, const int32_t *lut, int32_t *p);

/* ---- ops ---- */
void op_matmul(const Node *n);
void op_add(const Node *n);
void op_mul(const Node *n);
void op_requant(const Node *n);
void op_lut(const Node *n);
void op_norm(const Node *n);
void op_softmax(const Node *n);
void op_rope(const Node *n);
void op_attention(const Node *n);
void op_gather(const Node *n);
void op_argmax(const Node *n);
void op_concat(const Node *n);
void op_scatter_row(const Node *n);
void op_position(const Node *n);
void op_token_select(const Node *n);

#endif
