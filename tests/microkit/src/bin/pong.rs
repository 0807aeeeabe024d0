//! MK0002 (with `ping`): answers every notification with one.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, protection_domain, Channel, ChannelSet, Handler};

const PING: Channel = Channel::new(5);

protection_domain!(init);

struct Pong;

fn init() -> Pong {
    Pong
}

impl Handler for Pong {
    fn notified(&mut self, channels: ChannelSet) {
        if channels.contains(PING) {
            if let Err(e) = PING.notify() {
                debug_println!("{e}");
            }
        }
    }
}
