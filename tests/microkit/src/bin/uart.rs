//! MK0008: an IRQ delivered to a PD. The PD maps QEMU virt's PL011 (a device
//! region at its physical address, uncached) and owns its IRQ (SPI 1 = 33).
//! Writing a byte with the transmit interrupt enabled raises the IRQ; the PD
//! is notified on the IRQ's channel, clears the device, and acks.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler, MemoryRegion};

const UART_IRQ: Channel = Channel::new(1);
const ROUNDS: u32 = 3;
const DR: usize = 0x00;
const IMSC: usize = 0x38;
const MIS: usize = 0x40;
const ICR: usize = 0x44;
const TX: u32 = 1 << 5;
const NAME: &str = "MK0008";
const WHAT: &str = "the PL011 transmit IRQ reaches the PD that owns it, and ack re-arms it";

protection_domain!(init);

struct Uart {
    regs: Option<MemoryRegion>,
    irqs: u32,
}

/// Device registers take exactly one 32-bit access each, so these bypass
/// `MemoryRegion`'s byte-wise accessors (after the same bounds check).
fn read(regs: &MemoryRegion, offset: usize) -> u32 {
    if offset + 4 > regs.size() {
        return 0;
    }
    // SAFETY: a 32-bit register inside the mapped register page.
    unsafe { (regs.base().add(offset) as *const u32).read_volatile() }
}

fn write(regs: &MemoryRegion, offset: usize, value: u32) {
    if offset + 4 <= regs.size() {
        // SAFETY: as in `read`; the device page is mapped read-write.
        unsafe { (regs.base().add(offset) as *mut u32).write_volatile(value) }
    }
}

fn init() -> Uart {
    match memory_region_symbol!(uart_vaddr, 0x1000) {
        Ok(regs) => {
            write(&regs, IMSC, read(&regs, IMSC) | TX);
            write(&regs, DR, u32::from(b'\n'));
            Uart { regs: Some(regs), irqs: 0 }
        }
        Err(e) => {
            microkit_examples::report(NAME, WHAT, Err(e));
            Uart { regs: None, irqs: ROUNDS }
        }
    }
}

impl Handler for Uart {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(regs) = self.regs.as_ref() else { return };
        if self.irqs >= ROUNDS {
            return;
        }
        let mut result = microkit_examples::ensure(channels.contains(UART_IRQ), "notified without the IRQ's channel")
            .and_then(|()| microkit_examples::ensure(read(regs, MIS) & TX != 0, "IRQ without a pending transmit interrupt"));
        write(regs, ICR, TX);
        if result.is_ok() && UART_IRQ.irq_ack().is_err() {
            result = Err("irq_ack refused on the IRQ's channel");
        }
        // Acking a channel that is not an IRQ must be refused.
        if result.is_ok() && Channel::new(2).irq_ack().is_ok() {
            result = Err("irq_ack on a non-IRQ channel was accepted");
        }
        self.irqs += 1;
        if result.is_err() || self.irqs == ROUNDS {
            write(regs, IMSC, read(regs, IMSC) & !TX);
            self.irqs = ROUNDS;
            microkit_examples::report(NAME, WHAT, result);
        } else {
            write(regs, DR, u32::from(b'\n'));
        }
    }
}
