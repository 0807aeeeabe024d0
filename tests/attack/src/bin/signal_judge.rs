//! ATTACK0008 (judge): after the thief tried to wait on its notification
//! cap to us, the signaller's signal (our channel 1) must still reach us.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler};

const SIGNALLER: Channel = Channel::new(1);

protection_domain!(init);

struct Judge;

fn init() -> Judge {
    Judge
}

impl Handler for Judge {
    fn notified(&mut self, channels: ChannelSet) {
        let result = ensure(channels.contains(SIGNALLER), "a signal other than the signaller's arrived");
        judge!("ATTACK0008", "a write-only notification cap cannot be waited on; the signals still arrive", result);
    }
}
