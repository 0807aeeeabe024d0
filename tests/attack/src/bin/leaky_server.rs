//! ATTACK0006: a careless server that answers every call with ten words it
//! never set. The runtime must send them as zeros, never as the words an
//! earlier caller left in its IPC buffer.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, Handler, MessageInfo};

protection_domain!(init);

struct Leaky;

fn init() -> Leaky {
    Leaky
}

impl Handler for Leaky {
    fn protected(&mut self, _channel: Channel, _msg: MessageInfo) -> MessageInfo {
        MessageInfo::new(0, 10)
    }
}
