//! MK0013: the serial console's input owner. It says it is ready, then
//! prints each line it receives back through the driver, as `got: LINE`.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};
use serial_client::{Serial, RING_SIZE};

const DRIVER: Channel = Channel::new(0);

protection_domain!(init);

struct Echo {
    console: Option<Serial>,
    line: [u8; 64],
    len: usize,
}

fn init() -> Echo {
    let tx = memory_region_symbol!(serial_tx, RING_SIZE);
    let rx = memory_region_symbol!(serial_rx, RING_SIZE);
    let console = match (tx, rx) {
        (Ok(tx), Ok(rx)) => Serial::new(tx, Some(rx), DRIVER).map_err(|e| debug_println!("{e}")).ok(),
        (Err(e), _) | (_, Err(e)) => {
            debug_println!("{e}");
            None
        }
    };
    let mut echo = Echo { console, line: [0; 64], len: 0 };
    echo.write(b"ready for input\n");
    echo
}

impl Echo {
    fn write(&mut self, bytes: &[u8]) {
        let Some(console) = &mut self.console else { return };
        if let Err(e) = console.write(bytes) {
            debug_println!("{e}");
        }
    }
}

impl Handler for Echo {
    fn notified(&mut self, channels: ChannelSet) {
        if !channels.contains(DRIVER) {
            return;
        }
        let mut received = [0u8; 64];
        loop {
            let Some(console) = &mut self.console else { return };
            let n = match console.read(&mut received) {
                Ok(n) => n,
                Err(e) => {
                    debug_println!("{e}");
                    return;
                }
            };
            if n == 0 {
                return;
            }
            for &b in &received[..n] {
                let end = b == b'\n' || b == b'\r';
                if !end {
                    self.line[self.len] = b;
                    self.len += 1;
                }
                if (end && self.len > 0) || self.len == self.line.len() {
                    let (line, len) = (self.line, self.len);
                    self.len = 0;
                    // The driver holds the pieces until the newline: one line.
                    self.write(b"got: ");
                    self.write(&line[..len]);
                    self.write(b"\n");
                }
            }
        }
    }
}
