//! First instructions: find the exception level, leave EL2 for EL1 if QEMU
//! started us there (seL4 5.0.0 has no AArch64 hypervisor mode), set a stack,
//! enable FP/SIMD for Rust code, zero `.bss`, and call `loader_main` with the
//! exception level the loader was entered at.

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mrs     x19, CurrentEL
    lsr     x19, x19, #2
    and     x19, x19, #3
    cmp     x19, #2
    b.ne    2f    /* EL1 continues below; at any other EL loader_main reports and halts */

    /* EL2 -> EL1. EL1 runs AArch64 (HCR_EL2.RW) with nothing trapped to EL2. */
    mov     x0, #(1 << 31)
    msr     hcr_el2, x0
    /* EL1 may use the physical counter and timer (CNTHCTL_EL2.EL1PCTEN/EL1PCEN). */
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    /* No FP/SIMD traps to EL2 (CPTR_EL2.TFP clear; RES1 bits set). */
    mov     x0, #0x33ff
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    /* EL1 starts with its MMU and caches off (SCTLR_EL1 RES1 bits only). */
    ldr     x0, =0x30d00800
    msr     sctlr_el1, x0
    /* Return to EL1h with all interrupts masked. */
    mov     x0, #0x3c5
    msr     spsr_el2, x0
    adr     x0, 2f
    msr     elr_el2, x0
    eret

2:  ldr     x0, =__stack_top
    mov     sp, x0
    /* Rust code may use FP/SIMD registers: CPACR_EL1.FPEN = 0b11. */
    mov     x0, #(3 << 20)
    msr     cpacr_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
4:  cmp     x0, x1
    b.hs    5f
    str     xzr, [x0], #8
    b       4b
5:  mov     x0, x19
    bl      loader_main
3:  wfe
    b       3b
"#
);
