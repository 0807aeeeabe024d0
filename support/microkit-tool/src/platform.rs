//! The board the system runs on, QEMU `virt` as our kernel port describes it
//! (`support/kernel/platform/qemu-arm-virt`): the memory the monitor can
//! hand out and the interrupts the kernel can deliver. A test checks these
//! against the port's headers and kernel configs.
//!
//! `build` always checks a system against the board; `check --any-board`
//! skips it, for systems written for other boards (Microkit's examples).

use crate::error::Rule;
use crate::sdf::{Diagnostics, System};
use crate::validate::flatten;

/// RAM: `physBase` and `CONFIG_QEMU_VIRT_RAM_MB` (the same in every config).
pub const RAM_START: u64 = 0x4000_0000;
pub const RAM_SIZE: u64 = 1024 << 20;

/// The device windows the kernel hands out as device untypeds (`dev_p_regs`):
/// a fixed-address region outside RAM must lie inside one of them.
pub const DEVICES: &[(&str, u64, u64)] = &[
    ("CFI flash bank 1 (its first two sectors)", 0x0400_0000, 0x8_0000),
    ("PL011 UART", 0x0900_0000, 0x1000),
    ("PL031 RTC", 0x0901_0000, 0x1000),
    ("PL061 GPIO", 0x0903_0000, 0x1000),
    ("virtio-mmio", 0x0a00_0000, 0x4000),
];

/// The highest interrupt number (`maxIRQ`), and the one the kernel keeps for its tick.
pub const MAX_IRQ: u64 = 159;
pub const KERNEL_TIMER_IRQ: u64 = 27;

/// True when `[start, start + size)` is in RAM or inside one device window.
pub fn phys_range_exists(start: u64, size: u64) -> bool {
    let Some(end) = start.checked_add(size) else { return false };
    let inside = |base: u64, len: u64| start >= base && end <= base + len;
    inside(RAM_START, RAM_SIZE) || DEVICES.iter().any(|&(_, base, len)| inside(base, len))
}

/// Refuses the IRQs and fixed physical addresses this board does not have.
pub(crate) fn check_board(system: &System, diag: &mut Diagnostics) {
    for (pd, _) in flatten(system) {
        for irq in &pd.irqs {
            if irq.irq > MAX_IRQ {
                diag.error("irq", irq.pos, Rule::IrqRange { irq: irq.irq, max: MAX_IRQ });
            } else if irq.irq == KERNEL_TIMER_IRQ {
                diag.error("irq", irq.pos, Rule::IrqReserved(irq.irq));
            }
        }
    }
    for mr in &system.memory_regions {
        let Some(start) = mr.phys_addr else { continue };
        if !phys_range_exists(start, mr.size) {
            let rule = Rule::PhysNotOnBoard {
                start,
                end: start.saturating_add(mr.size),
                ram_start: RAM_START,
                ram_end: RAM_START + RAM_SIZE,
                devices: describe_devices(),
            };
            diag.error("memory_region", mr.pos, rule);
        }
    }
}

/// The board's device windows, for messages.
pub fn describe_devices() -> String {
    let windows: Vec<String> =
        DEVICES.iter().map(|(name, base, len)| format!("{name} [{base:#x}..{:#x})", base + len)).collect();
    windows.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port_file(path: &str) -> String {
        let full = format!("{}/../kernel/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    #[test]
    fn matches_the_kernel_port() {
        let plat = "platform/qemu-arm-virt/include/plat/qemu-arm-virt/plat";
        let hardware = port_file(&format!("{plat}/machine/hardware.h"));
        let devices = port_file(&format!("{plat}/machine/devices.h"));
        let machine = port_file(&format!("{plat}/machine.h"));
        assert!(hardware.contains(&format!("#define physBase {RAM_START:#x}")), "physBase");
        for config in ["debug", "bench"] {
            let text = port_file(&format!("config/{config}.config"));
            assert!(text.contains(&format!("CONFIG_QEMU_VIRT_RAM_MB={}", RAM_SIZE >> 20)), "{config}: RAM size");
        }
        for (macro_name, (_, base, len)) in ["FLASH1_PADDR", "UART0_PADDR", "RTC_PADDR", "GPIO_PADDR", "VIRTIO_MMIO_PADDR"].iter().zip(DEVICES) {
            let line = devices.lines().find(|l| l.contains(&format!("#define {macro_name} "))).unwrap_or_default();
            assert!(line.contains(&format!("{base:#010x}")), "{macro_name}: {line}");
            let pages = len >> 12;
            let size = if pages == 1 { "(1 << PAGE_BITS)".to_string() } else { format!("({pages} << PAGE_BITS)") };
            assert!(hardware.contains(&format!("{macro_name} + {size}")), "{macro_name} window size");
        }
        assert!(machine.contains(&format!("maxIRQ                     = {MAX_IRQ}")), "maxIRQ");
        assert!(machine.contains(&format!("INTERRUPT_VIRT_TIMER       = {KERNEL_TIMER_IRQ},")), "timer IRQ");
        assert!(machine.contains("#define KERNEL_TIMER_IRQ INTERRUPT_VIRT_TIMER"));
    }

    #[test]
    fn ranges() {
        assert!(phys_range_exists(0x0900_0000, 0x1000));
        assert!(!phys_range_exists(0x0900_0000, 0x2000));
        assert!(phys_range_exists(0x7fff_f000, 0x1000));
        assert!(!phys_range_exists(0x7fff_f000, 0x2000));
        assert!(!phys_range_exists(u64::MAX - 0xfff, 0x2000));
        assert!(!phys_range_exists(0x1000, 0x1000));
    }
}
