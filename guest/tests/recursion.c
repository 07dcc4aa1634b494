/* Recursion: naive fib, small Ackermann, quicksort on a stack array.
 * Expected exit code: 0 (else the index of the first failing check). */
#include "opml.h"

volatile uint32_t v_fib = 20, v_am = 2, v_an = 3, v_seed = 12345;

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static void quicksort(int32_t *a, int lo, int hi)
{
    if (lo >= hi)
        return;
    int32_t p = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
        while (a[i] < p)
            i++;
        while (a[j] > p)
            j--;
        if (i <= j) {
            int32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

#define QN 300

int main(void)
{
    if (fib(v_fib) != 6765)
        return 1;
    if (ack(v_am, v_an) != 9)
        return 2;
    if (ack(3, v_an) != 61)
        return 3;

    int32_t a[QN];
    uint32_t x = v_seed;
    int64_t sum_before = 0;
    for (int i = 0; i < QN; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (int32_t)x >> 8;       /* signed values, both signs */
        sum_before += a[i];
    }
    quicksort(a, 0, QN - 1);
    int64_t sum_after = 0;
    for (int i = 0; i < QN; i++) {
        sum_after += a[i];
        if (i && a[i - 1] > a[i])
            return 4;
    }
    if (sum_after != sum_before)
        return 5;
    if (a[0] != -8369555 || a[QN - 1] != 8342540)
        return 6;
    return 0;
}
