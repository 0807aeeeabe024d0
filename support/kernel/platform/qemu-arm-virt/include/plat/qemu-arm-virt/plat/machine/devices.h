/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt device physical addresses (QEMU 7.2 `-M virt`; check with
 * `qemu-system-aarch64 -M virt,dumpdtb=virt.dtb` and `dtc`).
 */

#ifndef __PLAT_MACHINE_DEVICES_H
#define __PLAT_MACHINE_DEVICES_H

#include <plat_mode/machine/devices.h>

#define GIC_PL390_CONTROLLER_PPTR   GIC_CONTROLLER_PPTR
#define GIC_PL390_DISTRIBUTOR_PPTR  GIC_DISTRIBUTOR_PPTR

#define FLASH1_PADDR                0x04000000 /* pflash unit 1: 64 MiB, 256 KiB sectors */
#define GIC_DISTRIBUTOR_PADDR       0x08000000
#define GIC_CONTROLLER0_PADDR       0x08010000
#define UART0_PADDR                 0x09000000
#define RTC_PADDR                   0x09010000
#define FW_CFG_PADDR                0x09020000
#define GPIO_PADDR                  0x09030000
#define VIRTIO_MMIO_PADDR           0x0a000000 /* 32 transports, 0x200 bytes each */

#endif /* __PLAT_MACHINE_DEVICES_H */
