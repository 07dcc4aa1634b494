/* Nested loops and a sieve of Eratosthenes.
 * Expected exit code: 0 (else the index of the first failing check). */
#include "opml.h"

#define SIEVE_N 20000
static uint8_t composite[SIEVE_N + 1];

volatile uint32_t v_n = SIEVE_N, v_rows = 37, v_cols = 53;

int main(void)
{
    uint32_t n = v_n;

    /* sieve */
    for (uint32_t i = 2; i * i <= n; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= n; j += i)
                composite[j] = 1;
    uint32_t count = 0, sum = 0, last = 0;
    for (uint32_t i = 2; i <= n; i++)
        if (!composite[i]) {
            count++;
            sum += i;
            last = i;
        }
    if (count != 2262)          /* pi(20000) */
        return 1;
    if (sum != 21171191u)       /* sum of primes <= 20000 */
        return 2;
    if (last != 19997)
        return 3;

    /* nested loops: sum over i<37, j<53 of (i*j) ^ (i+j) */
    uint32_t rows = v_rows, cols = v_cols, acc = 0;
    for (uint32_t i = 0; i < rows; i++)
        for (uint32_t j = 0; j < cols; j++)
            acc += (i * j) ^ (i + j);
    if (acc != 920768u)
        return 4;

    /* triple loop with early continue/break */
    uint32_t t = 0;
    for (uint32_t i = 1; i <= 20; i++) {
        for (uint32_t j = 1; j <= 20; j++) {
            if ((i + j) % 3 == 0)
                continue;
            for (uint32_t k = 1; k <= 20; k++) {
                if (i * j * k > 1000)
                    break;
                t = t * 31u + i * 7u + j * 3u + k;
            }
        }
    }
    if (t != 0x833C19C3u)
        return 5;

    /* countdown loop with signed compare */
    int32_t s = 0;
    for (int32_t i = 100; i > -100; i -= 3)
        s += i;
    if (s != 67)
        return 6;
    return 0;
}
