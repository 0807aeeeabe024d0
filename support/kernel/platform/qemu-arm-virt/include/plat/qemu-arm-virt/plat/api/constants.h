/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * qemu-arm-virt platform API constants. The hardware debug API is not
 * enabled in this port, so there is nothing platform-specific to declare.
 */

#ifndef __LIBSEL4_SEL4_PLAT_API_CONSTANTS_H_
#define __LIBSEL4_SEL4_PLAT_API_CONSTANTS_H_

#ifdef HAVE_AUTOCONF
#include <autoconf.h>
#endif

#endif /* __LIBSEL4_SEL4_PLAT_API_CONSTANTS_H_ */
