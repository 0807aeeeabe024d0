//! ATTACK0006: calls the leaky server first, with ten secret words.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, protection_domain, set_mr, Channel, Handler, MessageInfo};

/// The secret's words: 0x5ec7_0000 + i.
pub const SECRET: u64 = 0x5ec7_0000;

protection_domain!(init);

struct Caller;
impl Handler for Caller {}

fn init() -> Caller {
    for i in 0..10 {
        let _ = set_mr(i, SECRET + i as u64);
    }
    if Channel::new(0).pp_call(MessageInfo::new(0, 10)).is_err() {
        debug_println!("pp_call refused");
    }
    Caller
}
