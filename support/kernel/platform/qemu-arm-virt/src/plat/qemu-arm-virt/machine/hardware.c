/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt: timer and cache hooks.
 *
 * The kernel tick comes from the ARM generic *virtual* timer (CNTV, PPI 27);
 * 5.0.0's AArch64 generic-timer code programs cntv_* only. The non-secure
 * physical timer (CNTP, PPI 30) is left untouched so that a user-level timer
 * driver can own it later.
 *
 * QEMU does not model an outer (L2) cache controller, so the L2 hooks have
 * nothing to do.
 */

#include <config.h>
#include <types.h>
#include <arch/machine.h>
#include <mode/machine/timer.h>
#include <arch/linker.h>

void resetTimer(void)
{
    resetGenericTimer();
    /* The timer's interrupt is level-sensitive: make the re-arm take effect
     * (and the line drop) before the GIC's end-of-interrupt, or the tick is
     * taken twice (as upstream 62c814826 does; QEMU drops it at once). */
    isb();
}

/* What EL0 may touch of the generic timer (CNTKCTL_EL1) and the PMU
 * (PMUSERENR_EL0), set whole: 5.0.0 never writes either on AArch64, so EL0
 * would get whatever the firmware or loader left (upstream 2f03e82e3 made
 * its own export code start from zero too). Normal builds export nothing.
 * Benchmark builds only (a timing channel) let EL0 read the generic counters
 * (CNTKCTL_EL1.EL0PCTEN | EL0VCTEN) and the cycle counter (PMUSERENR_EL0.EN),
 * and start the cycle counter (PMCR_EL0.E, reset with .C; PMCNTENSET_EL0
 * bit 31). */
static BOOT_CODE void initUserAccess(void)
{
#ifdef CONFIG_QEMU_VIRT_USER_COUNTERS
    MSR("cntkctl_el1", BIT(0) | BIT(1));
    MSR("pmuserenr_el0", BIT(0));
    MSR("pmcr_el0", BIT(0) | BIT(2));
    MSR("pmcntenset_el0", BIT(31));
#else
    MSR("cntkctl_el1", 0);
    MSR("pmuserenr_el0", 0);
#endif
}

BOOT_CODE void initTimer(void)
{
    initGenericTimer();
    initUserAccess();
}

void initL2Cache(void)
{
}

void plat_cleanL2Range(paddr_t start, paddr_t end) {}
void plat_invalidateL2Range(paddr_t start, paddr_t end) {}
void plat_cleanInvalidateL2Range(paddr_t start, paddr_t end) {}
void plat_cleanInvalidateCache(void) {}
