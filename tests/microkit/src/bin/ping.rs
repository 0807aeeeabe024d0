//! MK0002 (with `pong`): two PDs notify each other 100 times; a notify on a
//! channel without notify rights is refused by the library, and signalled
//! straight at the kernel it reaches nothing (pong judges that).
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, ChannelError, ChannelSet, Handler};

const PONG: Channel = Channel::new(3);
const ROUNDS: u32 = 100;
/// Ping's end of the channel with notify="false" on both ends.
const UNGRANTED_ID: u8 = 9;

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
            let misuse = Channel::new(UNGRANTED_ID).notify();
            let ok = microkit_examples::ensure(
                misuse == Err(ChannelError::NotNotify(Channel::new(UNGRANTED_ID))),
                "notify on an ungranted channel was not refused",
            );
            let refused = ok.is_ok();
            microkit_examples::report("MK0002", "two PDs notify each other 100 times; misuse is refused", ok);
            if refused {
                // Now past the library, straight to the kernel: the slot is
                // empty, so nothing may reach pong. Then one last notify,
                // after which pong judges what it received.
                microkit_examples::raw_notify(UNGRANTED_ID);
                if let Err(e) = PONG.notify() {
                    fail(e);
                }
            }
        } else if let Err(e) = PONG.notify() {
            fail(e);
        }
    }
}
