/* Loads/stores of every width, signed and unsigned, around 32-byte leaf
 * boundaries; memcpy/memset over odd lengths and offsets; global checksum.
 * Expected exit code: 0 (else the index of the first failing check). */
#include "opml.h"

static uint8_t buf[256] __attribute__((aligned(32)));
static uint8_t dst[256] __attribute__((aligned(32)));
uint32_t table[64] = {1, 2, 3, 5, 8, 13, 21, 34}; /* .data, rest in-place zeros */
uint32_t zeros[100];                              /* .bss */

static inline int32_t lb(const void *p)  { int32_t r;  __asm__ volatile("lb %0, 0(%1)"  : "=r"(r) : "r"(p) : "memory"); return r; }
static inline uint32_t lbu(const void *p) { uint32_t r; __asm__ volatile("lbu %0, 0(%1)" : "=r"(r) : "r"(p) : "memory"); return r; }
static inline int32_t lh(const void *p)  { int32_t r;  __asm__ volatile("lh %0, 0(%1)"  : "=r"(r) : "r"(p) : "memory"); return r; }
static inline uint32_t lhu(const void *p) { uint32_t r; __asm__ volatile("lhu %0, 0(%1)" : "=r"(r) : "r"(p) : "memory"); return r; }
static inline uint32_t lw(const void *p)  { uint32_t r; __asm__ volatile("lw %0, 0(%1)"  : "=r"(r) : "r"(p) : "memory"); return r; }
static inline void sb(void *p, uint32_t v) { __asm__ volatile("sb %1, 0(%0)" : : "r"(p), "r"(v) : "memory"); }
static inline void sh(void *p, uint32_t v) { __asm__ volatile("sh %1, 0(%0)" : : "r"(p), "r"(v) : "memory"); }
static inline void sw(void *p, uint32_t v) { __asm__ volatile("sw %1, 0(%0)" : : "r"(p), "r"(v) : "memory"); }

volatile uint32_t v_pat = 0x8899AABBu;

int main(void)
{
    uint32_t pat = v_pat;
    uint8_t *b = buf;

    /* bss and data start as expected */
    for (int i = 0; i < 100; i++)
        if (zeros[i] != 0)
            return 1;
    if (table[7] != 34 || table[8] != 0 || table[63] != 0)
        return 2;

    /* word store straddling nothing: last word of leaf 0, first word of leaf 1 */
    sw(b + 28, pat);
    sw(b + 32, ~pat);
    if (lw(b + 28) != 0x8899AABBu || lw(b + 32) != 0x77665544u)
        return 3;
    /* little-endian bytes across the boundary */
    if (lbu(b + 28) != 0xBB || lbu(b + 31) != 0x88 || lbu(b + 32) != 0x44 || lbu(b + 35) != 0x77)
        return 4;
    /* signed vs unsigned byte loads */
    if (lb(b + 31) != (int32_t)0xFFFFFF88 || lb(b + 35) != 0x77 || lbu(b + 30) != 0x99)
        return 5;
    /* half loads at 30 (end of leaf) and 32 (start of next leaf) */
    if (lh(b + 30) != (int32_t)0xFFFF8899 || lhu(b + 30) != 0x8899u || lh(b + 32) != 0x5544 ||
        lhu(b + 34) != 0x7766u || lh(b + 28) != (int32_t)0xFFFFAABB)
        return 6;
    /* byte and half stores only touch their bytes */
    sb(b + 31, 0x1234567F);
    sh(b + 32, 0xDEADBEEF);
    if (lw(b + 28) != 0x7F99AABBu || lw(b + 32) != 0x7766BEEFu)
        return 7;
    sh(b + 62, 0xFFFFC001);
    sb(b + 64, 0x80);
    if (lhu(b + 62) != 0xC001u || lh(b + 62) != (int32_t)0xFFFFC001 || lb(b + 64) != -128 ||
        lbu(b + 64) != 0x80u)
        return 8;
    /* negative offsets via pointer arithmetic on a leaf boundary */
    sw(b + 96, 0x01020304u);
    if (lbu(b + 96) != 4 || lbu(b + 99) != 1 || lw(b + 92) != 0)
        return 9;

    /* memset / memcpy over odd lengths and odd offsets */
    memset(buf, 0, sizeof buf);
    for (int len = 0; len < 70; len += 7) {
        for (int off = 0; off < 5; off++) {
            memset(buf, 0xA5, sizeof buf);
            memset(buf + 31 + off, (int)(len + off), (size_t)len);
            for (int i = 0; i < 256; i++) {
                int in = i >= 31 + off && i < 31 + off + len;
                if (buf[i] != (in ? (uint8_t)(len + off) : 0xA5))
                    return 10;
            }
        }
    }
    for (int i = 0; i < 256; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (int len = 1; len < 100; len += 13) {
        for (int so = 0; so < 4; so++) {
            for (int dof = 0; dof < 4; dof++) {
                memset(dst, 0, sizeof dst);
                memcpy(dst + 29 + dof, buf + 3 + so, (size_t)len);
                for (int i = 0; i < 256; i++) {
                    int in = i >= 29 + dof && i < 29 + dof + len;
                    uint8_t want = in ? (uint8_t)((i - 29 - dof + 3 + so) * 37 + 11) : 0;
                    if (dst[i] != want)
                        return 11;
                }
            }
        }
    }
    memmove(buf + 1, buf, 100);
    if (buf[0] != 11 || buf[1] != 11 || buf[100] != (uint8_t)(99 * 37 + 11))
        return 12;
    if (memcmp(buf + 2, dst, 0) != 0 || memcmp("abc", "abd", 3) >= 0)
        return 13;

    /* global array checksum (Fibonacci-ish fill, FNV-1a over bytes) */
    for (int i = 8; i < 64; i++)
        table[i] = table[i - 1] + table[i - 2] * 3u;
    uint32_t h = 2166136261u;
    const uint8_t *p = (const uint8_t *)table;
    for (unsigned i = 0; i < sizeof table; i++)
        h = (h ^ p[i]) * 16777619u;
    if (h != 0x4AF90D0Cu)
        return 14;
    return 0;
}
