/* RV32I + M arithmetic self-check. Expected exit code: 0.
 * On failure returns the 1-based index of the first failing check.
 * Every operation under test is emitted with inline asm so the exact
 * instruction runs (and C-level UB such as x/0 or INT_MIN/-1 is avoided);
 * inputs come through volatile globals so nothing is constant-folded. */
#include "opml.h"

#define OP2(name, insn)                                                   \
    static inline uint32_t name(uint32_t a, uint32_t b)                   \
    {                                                                     \
        uint32_t r;                                                       \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
        return r;                                                         \
    }

OP2(op_add, "add")
OP2(op_sub, "sub")
OP2(op_sll, "sll")
OP2(op_srl, "srl")
OP2(op_sra, "sra")
OP2(op_slt, "slt")
OP2(op_sltu, "sltu")
OP2(op_xor, "xor")
OP2(op_or, "or")
OP2(op_and, "and")
OP2(op_mul, "mul")
OP2(op_mulh, "mulh")
OP2(op_mulhsu, "mulhsu")
OP2(op_mulhu, "mulhu")
OP2(op_div, "div")
OP2(op_divu, "divu")
OP2(op_rem, "rem")
OP2(op_remu, "remu")

static inline uint32_t op_srai31(uint32_t a)
{
    uint32_t r;
    __asm__ volatile("srai %0, %1, 31" : "=r"(r) : "r"(a));
    return r;
}
static inline uint32_t op_srli31(uint32_t a)
{
    uint32_t r;
    __asm__ volatile("srli %0, %1, 31" : "=r"(r) : "r"(a));
    return r;
}
static inline uint32_t op_slti_m1(uint32_t a)
{
    uint32_t r;
    __asm__ volatile("slti %0, %1, -1" : "=r"(r) : "r"(a));
    return r;
}
static inline uint32_t op_sltiu_m1(uint32_t a)
{
    uint32_t r; /* sltiu with imm -1 compares against 0xFFFFFFFF */
    __asm__ volatile("sltiu %0, %1, -1" : "=r"(r) : "r"(a));
    return r;
}

volatile uint32_t v_zero = 0, v_one = 1, v_m1 = 0xFFFFFFFFu, v_min = 0x80000000u,
                  v_max = 0x7FFFFFFFu, v_a = 0x12345678u, v_b = 0x9ABCDEF0u,
                  v_m7 = 0xFFFFFFF9u, v_7 = 7, v_2 = 2, v_m2 = 0xFFFFFFFEu,
                  v_33 = 33, v_0x1f = 0x1F, v_3 = 3;

struct check { uint32_t got, want; };

int main(void)
{
    uint32_t z = v_zero, one = v_one, m1 = v_m1, mn = v_min, mx = v_max,
             a = v_a, b = v_b, m7 = v_m7, s7 = v_7, two = v_2, m2 = v_m2,
             s33 = v_33, s31 = v_0x1f, three = v_3;

    const struct check c[] = {
        /* RV32I */
        {op_add(a, b), 0xACF13568u},
        {op_add(mx, one), 0x80000000u},
        {op_sub(z, one), 0xFFFFFFFFu},
        {op_sub(mn, one), 0x7FFFFFFFu},
        {op_sll(one, s31), 0x80000000u},
        {op_sll(one, s33), 2u},               /* shift amount uses low 5 bits */
        {op_srl(mn, s31), 1u},
        {op_sra(mn, s31), 0xFFFFFFFFu},
        {op_sra(b, three), 0xF3579BDEu},
        {op_srl(b, three), 0x13579BDEu},
        {op_srai31(mn), 0xFFFFFFFFu},
        {op_srli31(mn), 1u},
        {op_slt(m1, z), 1u},
        {op_slt(z, m1), 0u},
        {op_sltu(m1, z), 0u},
        {op_sltu(z, m1), 1u},
        {op_slt(mn, mx), 1u},
        {op_sltu(mn, mx), 0u},
        {op_slti_m1(mn), 1u},
        {op_slti_m1(m1), 0u},
        {op_sltiu_m1(m2), 1u},
        {op_sltiu_m1(m1), 0u},
        {op_xor(a, b), 0x88888888u},
        {op_or(a, b), 0x9ABCDEF8u},
        {op_and(a, b), 0x12345670u},
        /* M: multiply */
        {op_mul(a, b), 0x242D2080u},
        {op_mulh(a, b), 0xF8CC93D6u},
        {op_mulhu(a, b), 0x0B00EA4Eu},
        {op_mulhsu(a, b), 0x0B00EA4Eu},
        {op_mulhsu(b, a), 0xF8CC93D6u},
        {op_mul(m1, m1), 1u},
        {op_mulh(m1, m1), 0u},
        {op_mulhu(m1, m1), 0xFFFFFFFEu},
        {op_mulhsu(m1, m1), 0xFFFFFFFFu},
        {op_mulh(mn, mn), 0x40000000u},
        {op_mulhu(mn, mn), 0x40000000u},
        {op_mulhsu(mn, m1), 0x80000000u},
        {op_mulhsu(two, mn), 1u},
        {op_mulh(mn, m1), 0u},
        {op_mul(mn, m1), 0x80000000u},
        /* M: divide */
        {op_div(m7, two), 0xFFFFFFFDu},      /* -7 / 2 = -3 (toward zero) */
        {op_rem(m7, two), 0xFFFFFFFFu},      /* -7 % 2 = -1 */
        {op_div(s7, m2), 0xFFFFFFFDu},       /* 7 / -2 = -3 */
        {op_rem(s7, m2), 1u},                /* 7 % -2 = 1 */
        {op_div(m7, m2), 3u},
        {op_rem(m7, m2), 0xFFFFFFFFu},
        {op_divu(m7, two), 0x7FFFFFFCu},
        {op_remu(m7, two), 1u},
        {op_div(a, z), 0xFFFFFFFFu},         /* x / 0 = -1 */
        {op_divu(a, z), 0xFFFFFFFFu},
        {op_rem(a, z), 0x12345678u},         /* x % 0 = x */
        {op_remu(b, z), 0x9ABCDEF0u},
        {op_div(mn, z), 0xFFFFFFFFu},
        {op_rem(mn, z), 0x80000000u},
        {op_div(mn, m1), 0x80000000u},       /* INT_MIN / -1 = INT_MIN */
        {op_rem(mn, m1), 0u},                /* INT_MIN % -1 = 0 */
        {op_divu(mn, m1), 0u},
        {op_remu(mn, m1), 0x80000000u},
        {op_div(b, a), 0xFFFFFFFBu},
        {op_rem(b, a), 0xF5C28F48u},
        {op_divu(b, a), 8u},
        {op_remu(b, a), 0x091A2B30u},
        {op_divu(m1, one), 0xFFFFFFFFu},
        {op_div(z, m1), 0u},
    };

    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++)
        if (c[i].got != c[i].want)
            return (int)(i + 1);

    /* Plain C (compiler-chosen instructions) on volatile inputs. */
    int32_t x = (int32_t)v_m7, y = (int32_t)v_3;
    if (x / y != -2 || x % y != -1)
        return 200;
    if ((int64_t)(int32_t)a * (int32_t)b != (int64_t)0xF8CC93D6242D2080LL)
        return 201;
    if ((uint64_t)a * b != 0x0B00EA4E242D2080ULL)
        return 202;
    if ((x >> 1) != -4 || ((uint32_t)x >> 28) != 0xFu)
        return 203;
    return 0;
}
