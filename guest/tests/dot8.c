/* Signed int8 x int8 -> int32 dot products over LCG-generated data.
 * Expected exit code: checksum & 0xFF (see guest/tests/EXPECTED). */
#include "opml.h"

#define LEN 1024
#define NDOT 8

static int8_t xs[NDOT][LEN];
static int8_t w[LEN];

volatile uint32_t v_seed = 0xC0FFEEu;

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u; /* Numerical Recipes LCG */
    return *s >> 24;                  /* top byte */
}

__attribute__((noinline)) static int32_t dot8(const int8_t *a, const int8_t *b, uint32_t n)
{
    int32_t acc = 0;
    for (uint32_t i = 0; i < n; i++)
        acc += (int32_t)a[i] * (int32_t)b[i];
    return acc;
}

int main(void)
{
    uint32_t s = v_seed;
    for (int i = 0; i < LEN; i++)
        w[i] = (int8_t)lcg(&s);
    for (int d = 0; d < NDOT; d++)
        for (int i = 0; i < LEN; i++)
            xs[d][i] = (int8_t)lcg(&s);

    /* edge case: all -128 x -128 over LEN elements = 16384 * 1024 */
    static int8_t m128[LEN];
    memset(m128, 0x80, sizeof m128);
    if (dot8(m128, m128, LEN) != 16384 * LEN)
        return 255; /* distinct from any checksum we expect (see EXPECTED) */

    uint32_t h = 0;
    for (int d = 0; d < NDOT; d++) {
        int32_t r = dot8(xs[d], w, LEN);
        h = h * 2654435761u + (uint32_t)r;
    }
    return (int)((h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24)) & 0xFF);
}
