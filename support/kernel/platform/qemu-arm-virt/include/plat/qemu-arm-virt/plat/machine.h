/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt interrupt numbering (GICv2 interrupt IDs).
 * PPIs are 16..31, SPIs start at 32: SPI n is interrupt 32 + n.
 */

#ifndef __PLAT_MACHINE_H
#define __PLAT_MACHINE_H

#include <plat_mode/machine.h>

#define N_INTERRUPTS 160

enum IRQConstants {
    INTERRUPT_HYP_TIMER        = 26, /* PPI 10: EL2 physical timer */
    INTERRUPT_VIRT_TIMER       = 27, /* PPI 11: virtual timer, the kernel tick */
    INTERRUPT_SECURE_PHYS_TIMER = 29, /* PPI 13 */
    INTERRUPT_PHYS_TIMER       = 30, /* PPI 14: non-secure physical timer, left for user level */
    INTERRUPT_UART0            = 33, /* SPI 1: PL011 */
    INTERRUPT_RTC              = 34, /* SPI 2: PL031 */
    INTERRUPT_PCIE0            = 35, /* SPI 3..6: PCIe INTA..INTD */
    INTERRUPT_GPIO             = 39, /* SPI 7: PL061 */
    INTERRUPT_VIRTIO_MMIO0     = 48, /* SPI 16..47: virtio-mmio transports 0..31 */
    maxIRQ                     = 159
} platform_interrupt_t;

#define KERNEL_TIMER_IRQ INTERRUPT_VIRT_TIMER

#include <arch/machine/gic_pl390.h>

#endif /* __PLAT_MACHINE_H */
