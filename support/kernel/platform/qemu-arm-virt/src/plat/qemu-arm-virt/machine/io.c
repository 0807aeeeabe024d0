/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt: kernel debug console on the PL011 UART at 0x09000000.
 */

#include <config.h>
#include <stdint.h>
#include <util.h>
#include <machine/io.h>
#include <plat/machine/devices.h>

#define PL011_DR        0x000   /* data register */
#define PL011_FR        0x018   /* flag register */
#define PL011_FR_TXFF   (1 << 5) /* transmit FIFO full */
#define PL011_FR_RXFE   (1 << 4) /* receive FIFO empty */

#define PL011_REG(off) ((volatile uint32_t *)(UART0_PPTR + (off)))

#if defined(CONFIG_DEBUG_BUILD) || defined(CONFIG_PRINTING)
void putDebugChar(unsigned char c)
{
    while ((*PL011_REG(PL011_FR) & PL011_FR_TXFF) != 0);
    *PL011_REG(PL011_DR) = c;
}
#endif

#ifdef CONFIG_DEBUG_BUILD
unsigned char getDebugChar(void)
{
    /* Non-blocking: 0 when nothing has arrived. */
    if (*PL011_REG(PL011_FR) & PL011_FR_RXFE) {
        return 0;
    }
    return (unsigned char)(*PL011_REG(PL011_DR) & 0xff);
}
#endif
