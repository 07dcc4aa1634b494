/* opml-ops guest: every op except MatMul (OPS §5.2-§5.15) and shared helpers. */
#include "ops.h"

/* ---- helpers ---- */

extern char __heap_start[];
static uint32_t heap_top;

/* Bump allocator in region 0 above the image (never freed: one node per run). */
void *scratch(uint32_t bytes)
{
    if (heap_top == 0)
        heap_top = ((uint32_t)__heap_start + 15u) & ~15u;
    uint32_t r = heap_top;
    heap_top = (r + bytes + 15u) & ~15u;
    return (void *)r;
}

/* OPS §1.6, digit by digit (the same algorithm as QMath.Isqrt). */
uint64_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* Word copy when everything is 4-aligned (8 words per iteration), else bytes. */
void copy_bytes(void *dst, const void *src, uint32_t n)
{
    if ((((uint32_t)dst | (uint32_t)src | n) & 3u) == 0) {
        uint32_t *d = dst;
        const uint32_t *s = src;
        uint32_t w = n >> 2, i = 0;
        for (; i + 8 <= w; i += 8) {
            uint32_t t0 = s[i], t1 = s[i + 1], t2 = s[i + 2], t3 = s[i + 3];
            uint32_t t4 = s[i + 4], t5 = s[i + 5], t6 = s[i + 6], t7 = s[i + 7];
            d[i] = t0; d[i + 1] = t1; d[i + 2] = t2; d[i + 3] = t3;
            d[i + 4] = t4; d[i + 5] = t5; d[i + 6] = t6; d[i + 7] = t7;
        }
        for (; i < w; i++)
            d[i] = s[i];
        return;
    }
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (uint32_t i = 0; i < n; i++)
        d[i] = s[i];
}

void zero_bytes(void *dst, uint32_t n)
{
    if ((((uint32_t)dst | n) & 3u) == 0) {
        uint32_t *d = dst;
        for (uint32_t i = 0; i < n >> 2; i++)
            d[i] = 0;
        return;
    }
    uint8_t *d = dst;
    for (uint32_t i = 0; i < n; i++)
        d[i] = 0;
}

static inline int32_t softmax_prescale(int32_t x, int32_t m, uint32_t s)
{
    int64_t t = requant(x, m, s);
    const int64_t lo = -((int64_t)1 << 30), hi = ((int64_t)1 << 30) - 1;
    return (int32_t)(t < lo ? lo : t > hi ? hi : t);
}

void softmax_row(const int32_t *t, const uint8_t *allowed, uint32_t n, const int32_t *lut, int32_t *p)
{
    int any = 0;
    int32_t m = INT32_MIN;
    for (uint32_t j = 0; j < n; j++)
        if (!allowed || allowed[j]) {
            any = 1;
            if (t[j] > m)
                m = t[j];
        }
    if (!any) {
        zero_bytes(p, 4 * n);
        return;
    }
    uint32_t z = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t e = 0;
        if (!allowed || allowed[j]) {
            uint32_t d = (uint32_t)(m - t[j]); /* in [0, 2^31 - 1] */
            if (d <= 255) {
                int32_t v = lut[d];
                e = v < 0 ? 0u : v > 32768 ? 32768u : (uint32_t)v;
            }
        }
        p[j] = (int32_t)e;
        z += e;
    }
    if (z == 0) {
        zero_bytes(p, 4 * n);
        return;
    }
    uint32_t half = z / 2;
    for (uint32_t j = 0; j < n; j++)
        if (p[j])
            p[j] = (int32_t)(((uint32_t)p[j] * 32768u + half) / z);
        /* p[j] = 0 gives half / z = 0 since half < z */
}

/* ---- elementwise (OPS §5.2-§5.5) ---- */

void op_add(const Node *n)
{
    const int32_t *p = n->p;
    const void *a = INPUT(0), *b = INPUT(1);
    uint32_t ta = n->in[0].type, tb = n->in[1].type, to = n->out.type, s = (uint32_t)p[1];
    int32_t ma = p[0], mb = p[4];
    Clampb cb = clamp_bounds(p[2], p[3], to);
    void *out = OUTPUT;
    for (uint32_t i = 0; i < n->out.count; i++) {
        int64_t x = (int64_t)ld(a, ta, i) * ma + (int64_t)ld(b, tb, i) * mb;
        st(out, to, i, clamp64(round_shift(x, s), cb));
    }
}

void op_mul(const Node *n)
{
    const int32_t *p = n->p;
    const void *a = INPUT(0), *b = INPUT(1);
    uint32_t ta = n->in[0].type, tb = n->in[1].type, to = n->out.type, s = (uint32_t)p[1];
    Clampb cb = clamp_bounds(p[2], p[3], to);
    void *out = OUTPUT;
    for (uint32_t i = 0; i < n->out.count; i++) {
        int32_t prod = ld(a, ta, i) * ld(b, tb, i); /* |a*b| <= 2^30 */
        st(out, to, i, clamp64(requant(prod, p[0], s), cb));
    }
}

void op_requant(const Node *n)
{
    const int32_t *p = n->p;
    const void *x = INPUT(0);
    uint32_t tx = n->in[0].type, to = n->out.type, s = (uint32_t)p[1];
    int32_t m = p[0];
    Clampb cb = clamp_bounds(p[2], p[3], to);
    void *out = OUTPUT;
    for (uint32_t i = 0; i < n->out.count; i++)
        st(out, to, i, clamp64(requant(ld(x, tx, i), m, s), cb));
}

void op_lut(const Node *n)
{
    const int8_t *x = INPUT(0);
    const void *table = INPUT(1);
    uint32_t to = n->out.type;
    void *out = OUTPUT;
    for (uint32_t i = 0; i < n->out.count; i++)
        st(out, to, i, ld(table, to, (uint32_t)(x[i] + 128)));
}

/* ---- Norm (OPS §5.6) ---- */

/* floor(2^k / d) for 1 <= d <= 2^31, k <= 62, by restoring long division (RV32IM has no 64-bit divide and
 * the guest links no __udivdi3). The remainder stays below d <= 2^31, so 2*rem + 1 < 2^32. */
static uint64_t pow2_div(uint32_t k, uint32_t d)
{
    uint64_t q = 0;
    uint32_t rem = 0;
    for (int32_t i = (int32_t)k; i >= 0; i--) {
        rem = (rem << 1) | (i == (int32_t)k ? 1u : 0u);
        q <<= 1;
        if (rem >= d) {
            rem -= d;
            q |= 1;
        }
    }
    return q;
}

void op_norm(const Node *n)
{
    const int32_t *p = n->p;
    const void *X = INPUT(0);
    const int16_t *g = INPUT(1);
    const int32_t *beta = (p[5] & 1) ? INPUT(2) : 0;
    uint32_t rows = n->in[0].rows, D = n->in[0].cols, to = n->out.type, s = (uint32_t)p[1];
    int wide = n->in[0].type == T_I16; /* OPS §5.6: k = 52 for I16 x, 30 for I8 x */
    int layer = p[0] == 1;
    uint64_t eps = (uint32_t)p[4];
    Clampb cb = clamp_bounds(p[2], p[3], to);
    void *out = OUTPUT;
    for (uint32_t r = 0; r < rows; r++) {
        int64_t s1, s2;
        if (wide) {
            const int16_t *x = (const int16_t *)X + r * D;
            int32_t t1 = 0; /* in [-2^31, 2^31 - 2^16]: exact */
            uint64_t t2 = 0; /* <= 2^46 */
            for (uint32_t i = 0; i < D; i++) {
                int32_t v = x[i];
                t1 += v;
                t2 += (uint32_t)(v * v); /* <= 2^30 */
            }
            s1 = t1;
            s2 = (int64_t)t2;
        } else {
            const int8_t *x = (const int8_t *)X + r * D;
            int32_t t1 = 0, t2 = 0;
            for (uint32_t i = 0; i < D; i++) {
                int32_t v = x[i];
                t1 += v;
                t2 += v * v;
            }
            s1 = t1;
            s2 = t2;
        }
        uint64_t V = layer ? (uint64_t)((int64_t)D * s2 - s1 * s1) : (uint64_t)D * (uint64_t)s2; /* <= 2^62 */
        uint32_t sd = (uint32_t)isqrt64(V + eps); /* <= 2^31 (I16), < 2^24 (I8) */
        if (wide) {
            const int16_t *x = (const int16_t *)X + r * D;
            int64_t inv = (int64_t)pow2_div(52, sd); /* in [2^21, 2^52] */
            int64_t sub = layer ? s1 : 0;
            for (uint32_t i = 0; i < D; i++) {
                int64_t c = (int64_t)D * x[i] - sub;              /* |c| <= 2^32 */
                int64_t nn = round_shift(c * inv, 52 - 14);       /* |c*inv| < 2^61, |n| < 2^23 */
                int64_t y = nn * g[i] + (beta ? beta[i] : 0);
                st(out, to, r * D + i, clamp64(round_shift(y, s), cb));
            }
        } else {
            /* k = 30: the same values as pow2_div(30, sd), with one 32-bit divide */
            const int8_t *x = (const int8_t *)X + r * D;
            int32_t inv = (int32_t)((1u << 30) / sd);
            int32_t sub = layer ? (int32_t)s1 : 0;
            for (uint32_t i = 0; i < D; i++) {
                int32_t c = (int32_t)D * x[i] - sub;
                int32_t nn = (int32_t)round_shift((int64_t)c * inv, 30 - 14); /* |n| < 2^23 */
                int64_t y = (int64_t)nn * g[i] + (beta ? beta[i] : 0);
                st(out, to, r * D + i, clamp64(round_shift(y, s), cb));
            }
        }
    }
}

/* ---- Softmax (OPS §5.7) ---- */

void op_softmax(const Node *n)
{
    const int32_t *p = n->p;
    const void *X = INPUT(0);
    const int32_t *lut = INPUT(1);
    uint32_t rows = n->in[0].rows, C = n->in[0].cols, tx = n->in[0].type, s = (uint32_t)p[1];
    int32_t m = p[0];
    int32_t *t = scratch(4 * C);
    int32_t *out = OUTPUT;
    for (uint32_t r = 0; r < rows; r++) {
        for (uint32_t j = 0; j < C; j++)
            t[j] = softmax_prescale(ld(X, tx, r * C + j), m, s);
        softmax_row(t, 0, C, lut, out + r * C);
    }
}

/* ---- Rope (OPS §5.8) ---- */

static inline int32_t sat8(int64_t v) { return v < -128 ? -128 : v > 127 ? 127 : (int32_t)v; }

void op_rope(const Node *n)
{
    const int8_t *X = INPUT(0);
    const int16_t *cs = INPUT(1);
    int32_t pos0 = *(const int32_t *)INPUT(2);
    uint32_t rows = n->in[0].rows, C = n->in[0].cols, hd = (uint32_t)n->p[0], P = n->in[1].d[0];
    int8_t *out = OUTPUT;
    for (uint32_t r = 0; r < rows; r++) {
        int32_t q = (int32_t)((uint32_t)pos0 + r); /* wrap32 */
        const int8_t *x = X + r * C;
        int8_t *y = out + r * C;
        if (q < 0 || (uint32_t)q >= P) {
            copy_bytes(y, x, C);
            continue;
        }
        const int16_t *row = cs + (uint32_t)q * hd; /* [hd/2, 2] */
        for (uint32_t h0 = 0; h0 < C; h0 += hd)
            for (uint32_t i = 0; i < hd / 2; i++) {
                int32_t a = x[h0 + 2 * i], b = x[h0 + 2 * i + 1];
                int32_t c = row[2 * i], sn = row[2 * i + 1];
                y[h0 + 2 * i] = (int8_t)sat8(round_shift(a * c - b * sn, 14));
                y[h0 + 2 * i + 1] = (int8_t)sat8(round_shift(a * sn + b * c, 14));
            }
    }
}

/* ---- Attention (OPS §5.9) ---- */

void op_attention(const Node *n)
{
    const int32_t *p = n->p;
    int32_t flags = p[8];
    int has_pos = flags & 1, has_mask = (flags >> 1) & 1, causal = (flags >> 2) & 1;
    const int8_t *Q = INPUT(0), *Km = INPUT(1), *Vm = INPUT(2);
    const int32_t *lut = INPUT(3);
    uint32_t H = (uint32_t)p[4], Hkv = (uint32_t)p[5];
    uint32_t Lq = n->in[0].rows, qc = n->in[0].cols, hd = qc / H, Lk = n->in[1].rows, kc = n->in[1].cols;
    int32_t pos0 = has_pos ? *(const int32_t *)INPUT(4) : 0;
    uint32_t mask_in = has_pos ? 5 : 4;
    const void *mask = INPUT(mask_in);
    uint32_t mtype = has_mask ? n->in[mask_in].type : 0;
    int32_t pad = p[9], Ms = p[6], Mo = p[0];
    uint32_t ss = (uint32_t)p[7], so = (uint32_t)p[1];
    Clampb cb = clamp_bounds(p[2], p[3], T_I8);
    uint32_t group = H / Hkv;

    int32_t *t = scratch(4 * Lk);
    int32_t *pr = scratch(4 * Lk);
    uint8_t *allowed = scratch(Lk);
    int32_t *acc = scratch(4 * hd);
    int8_t *out = OUTPUT;

    for (uint32_t i = 0; i < Lq; i++) {
        int64_t qpos = (int64_t)pos0 + i;
        for (uint32_t j = 0; j < Lk; j++)
            allowed[j] = (!causal || (int64_t)j <= qpos) && (!has_mask || ld(mask, mtype, j) != pad);
        for (uint32_t h = 0; h < H; h++) {
            uint32_t g = h / group;
            const int8_t *q = Q + i * qc + h * hd;
            for (uint32_t j = 0; j < Lk; j++) {
                if (!allowed[j]) {
                    t[j] = 0;
                    continue;
                }
                const int8_t *k = Km + j * kc + g * hd;
                uint32_t x = 0; /* int32 with wrap32 (C# int arithmetic) */
                for (uint32_t e = 0; e < hd; e++)
                    x += (uint32_t)(q[e] * k[e]);
                t[j] = softmax_prescale((int32_t)x, Ms, ss);
            }
            softmax_row(t, allowed, Lk, lut, pr);
            for (uint32_t c = 0; c < hd; c++)
                acc[c] = 0;
            for (uint32_t j = 0; j < Lk; j++) {
                int32_t pj = pr[j];
                if (pj == 0)
                    continue;
                const int8_t *v = Vm + j * kc + g * hd;
                for (uint32_t c = 0; c < hd; c++)
                    acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)(pj * v[c]));
            }
            int8_t *y = out + i * qc + h * hd;
            for (uint32_t c = 0; c < hd; c++)
                y[c] = (int8_t)clamp64(requant(acc[c], Mo, so), cb);
        }
    }
}

/* ---- data movement (OPS §5.10-§5.15) ---- */

void op_gather(const Node *n)
{
    const uint8_t *table = INPUT(0);
    const int32_t *idx = INPUT(1);
    uint32_t first = (uint32_t)n->p[0], vr = n->in[0].rows;
    uint32_t row_bytes = n->in[0].cols * tsize(n->in[0].type);
    uint8_t *out = OUTPUT;
    for (uint32_t r = 0; r < n->out.rows; r++) {
        int32_t ix = idx[first + r];
        if (ix >= 0 && (uint32_t)ix < vr)
            copy_bytes(out + r * row_bytes, table + (uint32_t)ix * row_bytes, row_bytes);
        else
            zero_bytes(out + r * row_bytes, row_bytes);
    }
}

void op_argmax(const Node *n)
{
    const void *X = INPUT(0);
    uint32_t rows = n->in[0].rows, C = n->in[0].cols, tx = n->in[0].type;
    int32_t *out = OUTPUT;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t best = 0, base = r * C;
        int32_t bv = ld(X, tx, base);
        for (uint32_t j = 1; j < C; j++) {
            int32_t v = ld(X, tx, base + j);
            if (v > bv) {
                bv = v;
                best = j;
            }
        }
        out[r] = (int32_t)best;
    }
}

void op_concat(const Node *n)
{
    uint32_t es = tsize(n->out.type), out_row = n->out.cols * es;
    uint8_t *out = OUTPUT;
    for (uint32_t r = 0; r < n->out.rows; r++) {
        uint32_t off = r * out_row;
        for (uint32_t i = 0; i < n->nin; i++) {
            uint32_t len = n->in[i].cols * es;
            copy_bytes(out + off, (const uint8_t *)INPUT(i) + r * len, len);
            off += len;
        }
    }
}

void op_scatter_row(const Node *n)
{
    uint8_t *out = OUTPUT;
    copy_bytes(out, INPUT(0), n->out.bytes);
    int32_t r = (int32_t)((uint32_t)*(const int32_t *)INPUT(2) + (uint32_t)n->p[0]); /* wrap32 */
    uint32_t row_bytes = n->out.cols * tsize(n->out.type);
    if (r >= 0 && (uint32_t)r < n->out.rows)
        copy_bytes(out + (uint32_t)r * row_bytes, INPUT(1), row_bytes);
}

void op_position(const Node *n)
{
    (void)n;
    const int32_t *prev = INPUT(0);
    int32_t *out = OUTPUT;
    int32_t p1 = prev[1];
    out[0] = p1;
    out[1] = (int32_t)((uint32_t)p1 + 1u);
}

void op_token_select(const Node *n)
{
    const int32_t *prompt = INPUT(0);
    int32_t len = prompt[0];
    int32_t lmax = (int32_t)n->in[0].count - 1;
    int32_t p = *(const int32_t *)INPUT(1);
    int32_t lim = len < lmax ? len : lmax;
    int32_t tok = (p >= 0 && p < lim) ? prompt[1 + p] : *(const int32_t *)INPUT(2);
    *(int32_t *)OUTPUT = tok;
}
