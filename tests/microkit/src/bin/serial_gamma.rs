//! MK0012: a client of the serial driver that breaks its own ring: after
//! half a line it sets its write index far beyond what the ring holds. The
//! driver must say so, naming gamma, read nothing of it, and ignore gamma's
//! ring from then on.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use serial_client::{Serial, RING_SIZE};

const DRIVER: Channel = Channel::new(0);
/// Where the ring's write index is (sel4_shared_ring_buffer's header).
const WRITE_INDEX: usize = 0;

protection_domain!(init);

struct Gamma;
impl Handler for Gamma {}

fn init() -> Gamma {
    let Ok(region) = memory_region_symbol!(serial_tx, RING_SIZE) else {
        debug_println!("serial_tx is not mapped");
        return Gamma;
    };
    let result = Serial::new(region, None, DRIVER).and_then(|mut console| {
        console.write(b"held")?;
        if region.write(WRITE_INDEX, &0x1_0000u32.to_le_bytes()).is_err() {
            debug_println!("cannot reach the ring header");
        }
        let _ = DRIVER.notify();
        // Too late: the driver no longer reads this ring.
        console.write(b"\ngamma after the break\n")
    });
    if let Err(e) = result {
        debug_println!("{e}");
    }
    Gamma
}
