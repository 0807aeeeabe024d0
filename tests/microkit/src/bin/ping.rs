//! MK0002 (with `pong`): two PDs notify each other 100 times.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, ChannelError, ChannelSet, Handler};

const PONG: Channel = Channel::new(3);
const ROUNDS: u32 = 100;

protection_domain!(init);

struct Ping {
    rounds: u32,
}

fn init() -> Ping {
    if let Err(e) = PONG.notify() {
        fail(e);
    }
    Ping { rounds: 0 }
}

fn fail(e: ChannelError) {
    microkit_examples::report("MK0002", "two PDs notify each other", Err(e));
}

impl Handler for Ping {
    fn notified(&mut self, channels: ChannelSet) {
        if !channels.contains(PONG) {
            microkit_examples::report("MK0002", "two PDs notify each other", Err("notified on a channel other than pong's"));
            return;
        }
        self.rounds += 1;
        if self.rounds == ROUNDS {
            // A channel this PD has no notify end on must be refused, not ignored.
            let misuse = Channel::new(9).notify();
            let ok = microkit_examples::ensure(
                misuse == Err(ChannelError::NotNotify(Channel::new(9))),
                "notify on an ungranted channel was not refused",
            );
            microkit_examples::report("MK0002", "two PDs notify each other 100 times; misuse is refused", ok);
        } else if let Err(e) = PONG.notify() {
            fail(e);
        }
    }
}
