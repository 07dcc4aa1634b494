/* Benchmark guest: square int8 matmul C = A x B (int32 accumulation) over
 * LCG-generated data. B is stored transposed so the inner loop walks both
 * operands contiguously. Size is MATMUL_N (tunable: cost ~ MATMUL_N^3 MACs).
 * Expected exit code: checksum & 0xFF (see guest/tests/EXPECTED).
 * Instruction count at MATMUL_N = 264: see guest/README.md. */
#include "opml.h"

#ifndef MATMUL_N
#define MATMUL_N 264
#endif
#define N MATMUL_N

static int8_t A[N][N];
static int8_t Bt[N][N]; /* Bt[j][k] = B[k][j] */
static int32_t C[N][N];

volatile uint32_t v_seed = 0x5EEDu;

int main(void)
{
    uint32_t s = v_seed;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            s = s * 1664525u + 1013904223u;
            A[i][k] = (int8_t)(s >> 24);
        }
    for (int j = 0; j < N; j++)
        for (int k = 0; k < N; k++) {
            s = s * 1664525u + 1013904223u;
            Bt[j][k] = (int8_t)(s >> 24);
        }

    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            const int8_t *a = A[i], *b = Bt[j];
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += (int32_t)a[k] * (int32_t)b[k];
            C[i][j] = acc;
        }

    uint32_t h = 2166136261u;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = (h ^ (uint32_t)C[i][j]) * 16777619u;
    return (int)((h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24)) & 0xFF);
}
