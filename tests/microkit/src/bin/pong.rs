//! MK0002 (with `ping`): answers every notification with one. After ping's
//! 100 rounds it gets one more, sent after ping signalled the slot of the
//! channel that may not notify: pong, the only one who could see that
//! signal arrive, judges that it never did (MK0002-peer).
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, protection_domain, Channel, ChannelSet, Handler};

const PING: Channel = Channel::new(5);
/// Pong's end of the channel with notify="false" on both ends.
const UNGRANTED: Channel = Channel::new(6);
/// Ping's rounds, then its last notify.
const LAST: u32 = 101;

protection_domain!(init);

struct Pong {
    received: u32,
    leaked: bool,
}

fn init() -> Pong {
    Pong { received: 0, leaked: false }
}

impl Handler for Pong {
    fn notified(&mut self, channels: ChannelSet) {
        self.leaked |= channels.contains(UNGRANTED);
        if !channels.contains(PING) {
            return;
        }
        self.received += 1;
        if self.received == LAST {
            let verdict = microkit_examples::ensure(!self.leaked, "a signal on the channel without notify rights arrived");
            microkit_examples::report("MK0002-peer", "nothing arrives on a channel without notify rights, even signalled past the library", verdict);
        } else if let Err(e) = PING.notify() {
            debug_println!("{e}");
        }
    }
}
