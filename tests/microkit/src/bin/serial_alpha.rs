//! MK0012: an honest client of the serial driver. It prints a line, then
//! half a line that it finishes only after `serial_beta` has printed (beta
//! notifies it): the driver must hold the half so the lines do not mix.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};
use serial_client::{Serial, RING_SIZE};

const DRIVER: Channel = Channel::new(0);
const BETA: Channel = Channel::new(1);

protection_domain!(init);

struct Alpha(Option<Serial>);

fn init() -> Alpha {
    let console = memory_region_symbol!(serial_tx, RING_SIZE)
        .map_err(|e| debug_println!("{e}"))
        .and_then(|tx| Serial::new(tx, None, DRIVER).map_err(|e| debug_println!("{e}")))
        .ok();
    let mut alpha = Alpha(console);
    alpha.write(b"hello from alpha\n");
    alpha.write(b"part one, ");
    alpha
}

impl Alpha {
    fn write(&mut self, bytes: &[u8]) {
        let Some(console) = &mut self.0 else { return };
        if let Err(e) = console.write(bytes) {
            debug_println!("{e}");
        }
    }
}

impl Handler for Alpha {
    fn notified(&mut self, channels: ChannelSet) {
        if channels.contains(BETA) {
            self.write(b"part two\n");
        }
    }
}
