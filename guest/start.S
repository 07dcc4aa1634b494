/* OpmlNode guest start file (docs/PROTOCOL.md §3.1).
 *
 * Our VM starts with every register zero; qemu-riscv32 hands the guest a
 * stack in sp. So sp is set to __stack_top (0x10000000, end of region 0)
 * only when it is zero. gp is not used: everything is built with -mno-relax
 * and linked with --no-relax, so there is no gp-relative addressing.
 * .bss needs no zeroing: both our loader and qemu zero-fill p_memsz > p_filesz.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    bnez    sp, 1f
    lui     sp, %hi(__stack_top)
    addi    sp, sp, %lo(__stack_top)
1:
    andi    sp, sp, -16          /* ilp32 ABI: 16-byte aligned stack */
    call    main
    /* a0 = main's return value */
    li      a7, 93               /* exit */
    ecall
2:  j       2b                   /* not reached */
    .size _start, . - _start
