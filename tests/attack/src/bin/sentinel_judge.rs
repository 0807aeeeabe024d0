//! ATTACK0013 (judge): the exclave XNU was not granted. It runs above the
//! attacker, so anything the attacker's sweep delivers reaches it at once;
//! the finisher (`alive`), below everyone, signals once all else is idle, and only
//! then does it judge: nothing but that signal may have arrived.
#![no_std]
#![no_main]

use attack_pds::judge;
use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler, MessageInfo};

/// The finisher's channel, which alone may reach us.
const FINISHER: Channel = Channel::new(1);

protection_domain!(init);

struct Sentinel {
    /// What reached us that should not have.
    reached: Option<&'static str>,
}

fn init() -> Sentinel {
    Sentinel { reached: None }
}

impl Handler for Sentinel {
    fn notified(&mut self, channels: ChannelSet) {
        if channels.iter().any(|c| c != FINISHER) {
            self.reached.get_or_insert("a signal on a channel other than the finisher's");
        }
        if channels.contains(FINISHER) {
            let result = self.reached.map_or(Ok(()), Err);
            judge!("ATTACK0013", "XNU cannot reach an exclave it was not granted, by any slot of its CSpace", result);
        }
    }

    fn protected(&mut self, _: Channel, _: MessageInfo) -> MessageInfo {
        self.reached.get_or_insert("a call");
        MessageInfo::new(0, 0)
    }
}
