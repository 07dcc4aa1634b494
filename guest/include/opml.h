/* OpmlNode guest helpers: freestanding, no libc.
 * ECALLs per docs/PROTOCOL.md §4.3:
 *   a7 = 93  exit, exit code = a0 & 0xFF
 *   a7 = 64  write(a0 = fd, a1 = buf, a2 = len); our VM only sets a0 = a2,
 *            qemu-riscv32 performs a real write(2).
 */
#ifndef OPML_H
#define OPML_H

typedef unsigned int size_t;
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;

#define INT32_MIN (-2147483647 - 1)
#define INT32_MAX 2147483647
#define UINT32_MAX 0xFFFFFFFFu

static inline __attribute__((noreturn)) void opml_exit(int code)
{
    register int a0 __asm__("a0") = code;
    register int a7 __asm__("a7") = 93;
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
    __builtin_unreachable();
}

static inline int opml_write(int fd, const void *buf, size_t len)
{
    register int a0 __asm__("a0") = fd;
    register const void *a1 __asm__("a1") = buf;
    register size_t a2 __asm__("a2") = len;
    register int a7 __asm__("a7") = 64;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static inline __attribute__((noreturn)) void opml_ebreak(void)
{
    __asm__ volatile("ebreak" ::: "memory");
    __builtin_unreachable();
}

/* Provided by lib.c (clang may emit calls to these even with -ffreestanding). */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
