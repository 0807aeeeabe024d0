/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt memory map as the kernel sees it.
 */

#ifndef __PLAT_MACHINE_HARDWARE_H
#define __PLAT_MACHINE_HARDWARE_H

#include <config.h>
#include <basic_types.h>
#include <arch/linker.h>
#include <plat/machine.h>
#include <plat/machine/devices.h>
#include <plat_mode/machine/hardware.h>

/* Must equal CNTFRQ_EL0, which QEMU 7.2 sets to 62.5 MHz; a debug kernel halts at boot otherwise. */
#define TIMER_CLOCK_HZ 62500000llu

/* Start of RAM; must equal PHYS_BASE in src/plat/qemu-arm-virt/linker.lds. */
#define physBase 0x40000000

/* RAM size is fixed at build time; the build passes the same value to QEMU's -m. */
#define QEMU_VIRT_RAM_BYTES ((unsigned long)CONFIG_QEMU_VIRT_RAM_MB << 20)

static const kernel_frame_t BOOT_RODATA kernel_devices[] = {
    { GIC_CONTROLLER0_PADDR, GIC_CONTROLLER_PPTR, true /* armExecuteNever */ },
    { GIC_DISTRIBUTOR_PADDR, GIC_DISTRIBUTOR_PPTR, true },
#ifdef CONFIG_PRINTING
    { UART0_PADDR, UART0_PPTR, true },
#endif
};

/* RAM handed to the kernel (it removes its own image and the user image). */
static const p_region_t BOOT_RODATA avail_p_regs[] = {
    { .start = physBase, .end = physBase + QEMU_VIRT_RAM_BYTES },
};

/* Device frames offered to user level as device untypeds. Regions must not be adjacent.
 * FLASH1 is the first two erase sectors of the second CFI flash bank, the
 * storage exclave's simulated secure non-volatile memory. */
static const p_region_t BOOT_RODATA dev_p_regs[] = {
    { .start = FLASH1_PADDR,      .end = FLASH1_PADDR + (128 << PAGE_BITS) },
    { .start = UART0_PADDR,       .end = UART0_PADDR + (1 << PAGE_BITS) },
    { .start = RTC_PADDR,         .end = RTC_PADDR + (1 << PAGE_BITS) },
    { .start = GPIO_PADDR,        .end = GPIO_PADDR + (1 << PAGE_BITS) },
    { .start = VIRTIO_MMIO_PADDR, .end = VIRTIO_MMIO_PADDR + (4 << PAGE_BITS) },
};

static inline void handleReservedIRQ(irq_t irq)
{
}

#endif /* __PLAT_MACHINE_HARDWARE_H */
