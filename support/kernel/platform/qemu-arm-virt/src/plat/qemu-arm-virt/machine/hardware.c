/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt: timer and cache hooks.
 *
 * The kernel tick comes from the ARM generic *virtual* timer (CNTV, PPI 27);
 * 5.0.0's AArch64 generic-timer code programs cntv_* only. The non-secure
 * physical timer (CNTP, PPI 30) is left to a user-level timer driver, which
 * programs it from EL0 (initUserAccess) and takes PPI 30 as an IRQ handler.
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

/* CNTKCTL_EL1 bits: EL0 may read CNTPCT_EL0 (and CNTFRQ_EL0), read
 * CNTVCT_EL0, and use the physical timer's CNTP_CTL/CVAL/TVAL_EL0. */
#define CNTKCTL_EL0PCTEN BIT(0)
#define CNTKCTL_EL0VCTEN BIT(1)
#define CNTKCTL_EL0PTEN  BIT(9)

/* What EL0 may touch of the generic timer (CNTKCTL_EL1) and the PMU
 * (PMUSERENR_EL0), set whole: 5.0.0 never writes either on AArch64, so EL0
 * would get whatever the firmware or loader left (upstream 2f03e82e3 made
 * its own export code start from zero too).
 *
 * Every build lets EL0 read the physical counter and program the physical
 * timer, so that a timer driver PD can run on it. The bits are not per
 * thread, so this holds for every PD: any PD can read the counter (a timing
 * channel: it can time other PDs' work at the counter's resolution) and any
 * PD can program or disable the physical timer under the driver. The driver
 * therefore decides only from the counter (a deadline has passed when
 * CNTPCT_EL0 says so), and the timer's interrupt is a hint: another PD can
 * make it come early or late, or not at all, but never make a deadline pass
 * early. The kernel's own tick is on the virtual timer, which EL0 cannot
 * touch (EL0VTEN stays clear).
 *
 * Benchmark builds only also let EL0 read the virtual counter
 * (CNTKCTL_EL1.EL0VCTEN) and the cycle counter (PMUSERENR_EL0.EN), and start
 * the cycle counter (PMCR_EL0.E, reset with .C; PMCNTENSET_EL0 bit 31). */
static BOOT_CODE void initUserAccess(void)
{
#ifdef CONFIG_QEMU_VIRT_USER_COUNTERS
    MSR("cntkctl_el1", CNTKCTL_EL0PCTEN | CNTKCTL_EL0PTEN | CNTKCTL_EL0VCTEN);
    MSR("pmuserenr_el0", BIT(0));
    MSR("pmcr_el0", BIT(0) | BIT(2));
    MSR("pmcntenset_el0", BIT(31));
#else
    MSR("cntkctl_el1", CNTKCTL_EL0PCTEN | CNTKCTL_EL0PTEN);
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
