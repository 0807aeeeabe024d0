//! MK0012: a client of the serial driver that lies: it writes a line that
//! starts with alpha's name, a carriage return and an escape sequence, and
//! a line longer than the driver's limit. Every line must still come out
//! under beta's own name, printable and broken at the limit.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use serial_client::{Serial, RING_SIZE};

const DRIVER: Channel = Channel::new(0);
const ALPHA: Channel = Channel::new(1);

protection_domain!(init);

struct Beta;
impl Handler for Beta {}

fn init() -> Beta {
    let written = memory_region_symbol!(serial_tx, RING_SIZE)
        .map_err(|e| debug_println!("{e}"))
        .and_then(|tx| Serial::new(tx, None, DRIVER).map_err(|e| debug_println!("{e}")))
        .and_then(|mut console| {
            let mut long = [b'b'; serial_lines::MAX_LINE + 10];
            long[long.len() - 1] = b'\n';
            for bytes in [&b"alpha: I am alpha\n"[..], b"\rsneaky\x1b[0m\n", &long] {
                console.write(bytes).map_err(|e| debug_println!("{e}"))?;
            }
            Ok(())
        });
    // Alpha finishes its held half line now, after beta's lines.
    if written.is_ok() && ALPHA.notify().is_err() {
        debug_println!("cannot notify alpha");
    }
    Beta
}
