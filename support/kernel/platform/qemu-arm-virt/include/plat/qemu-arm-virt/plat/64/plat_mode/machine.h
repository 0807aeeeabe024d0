/*
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef __PLAT_MODE_MACHINE_H
#define __PLAT_MODE_MACHINE_H

/* 2^13 bytes of 32-byte slots = 256 IRQ slots, more than maxIRQ. */
#define IRQ_CNODE_BITS 13

#endif /* __PLAT_MODE_MACHINE_H */
