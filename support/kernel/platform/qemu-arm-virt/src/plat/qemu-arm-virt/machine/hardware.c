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
}

BOOT_CODE void initTimer(void)
{
    initGenericTimer();
}

void initL2Cache(void)
{
}

void plat_cleanL2Range(paddr_t start, paddr_t end) {}
void plat_invalidateL2Range(paddr_t start, paddr_t end) {}
void plat_cleanInvalidateL2Range(paddr_t start, paddr_t end) {}
void plat_cleanInvalidateCache(void) {}
