/* opml-ops guest: descriptor validation (OPS §2, §5 shape rules) and dispatch.
 *
 * The checks and their order mirror OpmlNode/Inference/NodeDescriptor.Decode,
 * the NodeDescriptor constructor and OpRules.Validate, so a descriptor is
 * accepted here exactly when the C# side accepts it. The first failing check
 * decides the exit code (see ops.h / guest/ops/README.md).
 */
#include "ops.h"

#define REQ(cond, code)          \
    do {                         \
        if (!(cond))             \
            return (code);       \
    } while (0)

#define MAX_BYTES (1u << 28)

static int parse_spec(Spec *s, uint32_t type, uint32_t rank, const uint32_t *dims)
{
    REQ(type >= T_I8 && type <= T_I32, E_TYPE);
    REQ(rank >= 1 && rank <= 4, E_RANK);
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t v = dims[i];
        if (i < rank)
            REQ(v != 0 && v <= MAX_BYTES, E_DIM);
        else
            REQ(v == 0, E_NONCANON);
    }
    uint64_t count = 1;
    uint32_t size = tsize(type);
    for (uint32_t i = 0; i < rank; i++) {
        count *= dims[i]; /* <= 2^28 * 2^28: fits */
        REQ(count * size <= MAX_BYTES, E_DIM);
    }
    s->type = type;
    s->rank = rank;
    for (uint32_t i = 0; i < 4; i++)
        s->d[i] = dims[i];
    s->count = (uint32_t)count;
    s->cols = dims[rank - 1];
    s->rows = s->count / s->cols;
    s->bytes = s->count * size;
    return E_OK;
}

static int all_zero(const void *p, uint32_t n)
{
    const uint32_t *w = p;
    for (uint32_t i = 0; i < n / 4; i++)
        if (w[i])
            return 0;
    return 1;
}

static int same_dims(const Spec *a, const Spec *b)
{
    if (a->rank != b->rank)
        return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static int used_params(uint32_t op)
{
    switch (op) {
    case 1: return 6;          /* MatMul */
    case 2: return 5;          /* Add */
    case 3: case 4: return 4;  /* Mul, Requant */
    case 6: return 6;          /* Norm */
    case 7: return 2;          /* Softmax */
    case 8: case 10: case 13: return 1; /* Rope, Gather, ScatterRow */
    case 9: return 10;         /* Attention */
    default: return 0;
    }
}

static int shift_ok(int32_t s) { return s >= 0 && s <= 62; }

static int requant_params(const Node *n, int32_t s, int32_t qmin, int32_t qmax)
{
    REQ(shift_ok(s), E_PARAM);
    uint32_t t = n->out.type;
    REQ(qmin <= qmax && qmin <= tmax(t) && qmax >= tmin(t), E_PARAM);
    return E_OK;
}

/* Input i must be a T [256] table. */
static int lut_input(const Node *n, uint32_t i, uint32_t t)
{
    REQ(n->in[i].type == t, E_OPTYPE);
    REQ(n->in[i].rank == 1 && n->in[i].d[0] == 256, E_SHAPE);
    return E_OK;
}

#define TRY(x)                   \
    do {                         \
        int e_ = (x);            \
        if (e_)                  \
            return e_;           \
    } while (0)
#define ARITY(k) REQ(n->nin == (uint32_t)(k), E_ARITY)
#define TYPE(i, t) REQ(n->in[i].type == (uint32_t)(t), E_OPTYPE)
#define SAMECOUNT(i) REQ(n->in[i].count == o->count, E_SHAPE)
#define SAMEDIMS(i) REQ(same_dims(&n->in[i], o), E_SHAPE)

static int op_rules(const Node *n)
{
    const int32_t *p = n->p;
    const Spec *o = &n->out;
    for (int k = used_params(n->op); k < 16; k++)
        REQ(p[k] == 0, E_NONCANON);
    switch (n->op) {
    case 1: { /* MatMul */
        int32_t flags = p[5];
        REQ((flags & ~3) == 0, E_PARAM);
        int bias = flags & 1, pc = (flags >> 1) & 1;
        ARITY(2 + bias + pc);
        const Spec *a = &n->in[0], *w = &n->in[1];
        TYPE(0, T_I8);
        TYPE(1, T_I8);
        REQ(w->rank == 2, E_SHAPE);
        uint32_t nw = w->d[0], k = w->d[1];
        REQ(a->cols == k, E_SHAPE);
        REQ(k <= 65536, E_SHAPE);
        REQ(o->rows == a->rows, E_SHAPE);
        REQ(p[4] >= 0 && (uint64_t)(uint32_t)p[4] + o->cols <= nw, E_PARAM);
        uint32_t next = 2;
        if (bias) {
            TYPE(next, T_I32);
            REQ(n->in[next].count == nw, E_SHAPE);
            next++;
        }
        if (pc) {
            TYPE(next, T_I32);
            REQ(n->in[next].rank == 2 && n->in[next].d[0] == nw && n->in[next].d[1] == 2, E_SHAPE);
        }
        if (o->type != T_I32)
            TRY(requant_params(n, p[1], p[2], p[3]));
        else /* no requantisation: its params must be 0 (one encoding per node) */
            REQ(p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0, E_PARAM);
        return E_OK;
    }
    case 2: /* Add */
        ARITY(2);
        SAMECOUNT(0);
        SAMECOUNT(1);
        TRY(requant_params(n, p[1], p[2], p[3]));
        REQ(p[0] >= -(1 << 30) && p[0] <= (1 << 30) && p[4] >= -(1 << 30) && p[4] <= (1 << 30), E_PARAM);
        return E_OK;
    case 3: /* Mul */
        ARITY(2);
        for (int i = 0; i < 2; i++)
            REQ(n->in[i].type == T_I8 || n->in[i].type == T_I16, E_OPTYPE);
        SAMECOUNT(0);
        SAMECOUNT(1);
        return requant_params(n, p[1], p[2], p[3]);
    case 4: /* Requant */
        ARITY(1);
        SAMECOUNT(0);
        return requant_params(n, p[1], p[2], p[3]);
    case 5: /* Lut */
        ARITY(2);
        TYPE(0, T_I8);
        TRY(lut_input(n, 1, o->type));
        SAMECOUNT(0);
        return E_OK;
    case 6: { /* Norm */
        REQ(p[0] == 0 || p[0] == 1, E_PARAM);
        REQ((p[5] & ~1) == 0, E_PARAM);
        int beta = p[5] & 1;
        ARITY(beta ? 3 : 2);
        const Spec *x = &n->in[0];
        REQ(x->type == T_I8 || x->type == T_I16, E_OPTYPE);
        REQ(x->cols <= 65536, E_SHAPE);
        TYPE(1, T_I16);
        REQ(n->in[1].count == x->cols, E_SHAPE);
        if (beta) {
            TYPE(2, T_I32);
            REQ(n->in[2].count == x->cols, E_SHAPE);
        }
        REQ(o->type == T_I8 || o->type == T_I16, E_OPTYPE);
        SAMEDIMS(0);
        TRY(requant_params(n, p[1], p[2], p[3]));
        REQ(p[4] >= 1, E_PARAM);
        return E_OK;
    }
    case 7: /* Softmax */
        ARITY(2);
        TRY(lut_input(n, 1, T_I32));
        REQ(o->type == T_I32, E_OPTYPE);
        SAMEDIMS(0);
        REQ(n->in[0].cols <= 65536, E_SHAPE);
        REQ(shift_ok(p[1]), E_PARAM);
        return E_OK;
    case 8: { /* Rope */
        ARITY(3);
        TYPE(0, T_I8);
        TYPE(1, T_I16);
        TYPE(2, T_I32);
        int32_t hd = p[0];
        REQ(hd >= 2 && hd % 2 == 0 && n->in[0].cols % (uint32_t)hd == 0, E_PARAM);
        const Spec *cs = &n->in[1];
        REQ(cs->rank == 3 && cs->d[1] == (uint32_t)hd / 2 && cs->d[2] == 2, E_SHAPE);
        REQ(o->type == T_I8, E_OPTYPE);
        SAMEDIMS(0);
        return E_OK;
    }
    case 9: { /* Attention */
        int32_t flags = p[8];
        REQ((flags & ~7) == 0, E_PARAM);
        int has_pos = flags & 1, has_mask = (flags >> 1) & 1;
        ARITY(4 + has_pos + has_mask);
        TYPE(0, T_I8);
        TYPE(1, T_I8);
        TYPE(2, T_I8);
        TRY(lut_input(n, 3, T_I32));
        int32_t h = p[4], hkv = p[5];
        REQ(h >= 1 && hkv >= 1 && h % hkv == 0, E_PARAM);
        const Spec *q = &n->in[0], *k = &n->in[1], *v = &n->in[2];
        REQ(q->cols % (uint32_t)h == 0, E_PARAM);
        uint32_t hd = q->cols / (uint32_t)h;
        REQ(k->cols == (uint32_t)hkv * hd && v->cols == (uint32_t)hkv * hd, E_SHAPE);
        REQ(k->rows == v->rows, E_SHAPE);
        REQ(k->rows <= 65536, E_SHAPE);
        uint32_t next = 4;
        if (has_pos) {
            TYPE(next, T_I32);
            next++;
        }
        if (has_mask)
            REQ(n->in[next].count == k->rows, E_SHAPE);
        REQ(o->type == T_I8, E_OPTYPE);
        SAMEDIMS(0);
        TRY(requant_params(n, p[1], p[2], p[3]));
        REQ(shift_ok(p[7]), E_PARAM);
        REQ(has_mask || p[9] == 0, E_PARAM); /* padValue only with a mask */
        return E_OK;
    }
    case 10: /* Gather */
        ARITY(2);
        TYPE(1, T_I32);
        REQ(o->type == n->in[0].type, E_OPTYPE);
        REQ(o->cols == n->in[0].cols, E_SHAPE);
        REQ(p[0] >= 0 && (uint64_t)(uint32_t)p[0] + o->rows <= n->in[1].count, E_PARAM);
        return E_OK;
    case 11: /* Argmax */
        ARITY(1);
        REQ(o->type == T_I32, E_OPTYPE);
        REQ(o->count == n->in[0].rows, E_SHAPE);
        return E_OK;
    case 12: { /* Concat */
        REQ(n->nin >= 1 && n->nin <= 8, E_ARITY);
        uint64_t cols = 0;
        for (uint32_t i = 0; i < n->nin; i++) {
            TYPE(i, o->type);
            REQ(n->in[i].rows == o->rows, E_SHAPE);
            cols += n->in[i].cols;
        }
        REQ(cols == o->cols, E_SHAPE);
        return E_OK;
    }
    case 13: /* ScatterRow */
        ARITY(3);
        REQ(n->in[0].type == o->type, E_OPTYPE);
        SAMEDIMS(0);
        TYPE(1, o->type);
        REQ(n->in[1].count == o->cols, E_SHAPE);
        TYPE(2, T_I32);
        return E_OK;
    case 14: /* Position */
        ARITY(1);
        TYPE(0, T_I32);
        REQ(o->type == T_I32, E_OPTYPE);
        REQ(n->in[0].count == 2 && o->count == 2, E_SHAPE);
        return E_OK;
    case 15: /* TokenSelect */
        ARITY(3);
        for (int i = 0; i < 3; i++)
            TYPE(i, T_I32);
        REQ(o->type == T_I32, E_OPTYPE);
        REQ(o->count == 1, E_SHAPE);
        return E_OK;
    default:
        return E_OP;
    }
}

int validate(Node *n)
{
    const Desc *d = DESC;
    REQ(d->magic == 0x4C4D504Fu, E_MAGIC);
    REQ(d->version == 1, E_VERSION);
    REQ(d->op >= 1 && d->op <= 15, E_OP);
    REQ(d->nin <= 8, E_NINPUTS);
    REQ(d->rsv0 == 0 && d->rsv1 == 0, E_NONCANON);
    n->op = d->op;
    n->nin = d->nin;
    n->p = d->p;
    TRY(parse_spec(&n->out, d->otype, d->orank, d->odims));
    for (uint32_t i = 0; i < 8; i++) {
        const InRec *r = &d->in[i];
        if (i >= n->nin) {
            REQ(all_zero(r, sizeof *r), E_NONCANON);
            continue;
        }
        REQ(r->rsv0 == 0 && r->rsv1 == 0, E_NONCANON);
        REQ(r->kind >= K_WEIGHT && r->kind <= K_NODE, E_REF);
        TRY(parse_spec(&n->in[i], r->type, r->rank, r->dims));
    }
    for (uint32_t i = 0; i < n->nin; i++) {
        const InRec *r = &d->in[i];
        REQ(r->kind == K_NODE || r->lag == 0, E_REF);
        REQ(r->kind != K_TASK || r->index == 0, E_REF);
    }
    return op_rules(n);
}

int main(void)
{
    Node n;
    int e = validate(&n);
    if (e)
        return e;
    switch (n.op) {
    case 1: op_matmul(&n); break;
    case 2: op_add(&n); break;
    case 3: op_mul(&n); break;
    case 4: op_requant(&n); break;
    case 5: op_lut(&n); break;
    case 6: op_norm(&n); break;
    case 7: op_softmax(&n); break;
    case 8: op_rope(&n); break;
    case 9: op_attention(&n); break;
    case 10: op_gather(&n); break;
    case 11: op_argmax(&n); break;
    case 12: op_concat(&n); break;
    case 13: op_scatter_row(&n); break;
    case 14: op_position(&n); break;
    case 15: op_token_select(&n); break;
    }
    return E_OK;
}
