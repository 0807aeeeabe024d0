//! Notifies channel 0 once it runs: a victim showing it was not stopped.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, Handler};

protection_domain!(init);

struct Alive;
impl Handler for Alive {}

fn init() -> Alive {
    let _ = Channel::new(0).notify();
    Alive
}
