//! MK0008: an IRQ delivered to a PD. The PD maps QEMU virt's PL011 (a device
//! region at its physical address, uncached) and owns its IRQ (SPI 1 = 33).
//! Writing a byte with the transmit interrupt enabled raises the IRQ; the PD
//! is notified on the IRQ's channel, clears the device, and acks.
#![no_std]
#![no_main]

use pl011::Pl011;
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};

const UART_IRQ: Channel = Channel::new(1);
/// A channel id this PD has no IRQ on.
const NOT_IRQ_ID: u8 = 2;
const NOT_IRQ: Channel = Channel::new(NOT_IRQ_ID);
const ROUNDS: u32 = 3;
const NAME: &str = "MK0008";
const WHAT: &str = "the PL011 transmit IRQ reaches the PD that owns it, and ack re-arms it";

protection_domain!(init);

struct Uart {
    regs: Option<Pl011>,
    irqs: u32,
}

fn init() -> Uart {
    match memory_region_symbol!(uart_vaddr, 0x1000) {
        Ok(region) => {
            // SAFETY: system.xml maps the PL011's register page here, uncached, for the PD's life.
            let regs = unsafe { Pl011::at(region.base() as u64) };
            regs.write(Pl011::IMSC, regs.read(Pl011::IMSC) | Pl011::TX_INTERRUPT);
            regs.write(Pl011::DR, u32::from(b'\n'));
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
        let Some(regs) = self.regs else { return };
        if self.irqs >= ROUNDS {
            return;
        }
        let mut result = microkit_examples::ensure(channels.contains(UART_IRQ), "notified without the IRQ's channel")
            .and_then(|()| microkit_examples::ensure(regs.read(Pl011::MIS) & Pl011::TX_INTERRUPT != 0, "IRQ without a pending transmit interrupt"));
        regs.write(Pl011::ICR, Pl011::TX_INTERRUPT);
        if result.is_ok() && UART_IRQ.irq_ack().is_err() {
            result = Err("irq_ack refused on the IRQ's channel");
        }
        // Acking a channel that is not an IRQ must be refused.
        if result.is_ok() && NOT_IRQ.irq_ack().is_ok() {
            result = Err("irq_ack on a non-IRQ channel was accepted");
        }
        // And the kernel refuses it too, asked directly.
        if result.is_ok() {
            result = microkit_examples::kernel_refuses_irq_ack(NOT_IRQ_ID);
        }
        self.irqs += 1;
        if result.is_err() || self.irqs == ROUNDS {
            regs.write(Pl011::IMSC, regs.read(Pl011::IMSC) & !Pl011::TX_INTERRUPT);
            self.irqs = ROUNDS;
            microkit_examples::report(NAME, WHAT, result);
        } else {
            regs.write(Pl011::DR, u32::from(b'\n'));
        }
    }
}
