//! The client's peer for PPCs and notifications, at a higher priority (as
//! Microkit requires of a PPC callee). It is the first PD to run, so its
//! `init` stamps the boot time.
#![no_std]
#![no_main]

use core::fmt::Write;

use runtime_bench::{console, stamp, stamps};
use sel4_bench::{cycles, instructions_since_reset};
use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler, MemoryRegion, MessageInfo};

protection_domain!(init);

struct Echo {
    stamps: Option<MemoryRegion>,
}

fn init() -> Echo {
    let booted = instructions_since_reset();
    let stamps = stamps();
    if let Some(stamps) = &stamps {
        let _ = stamps.write_u64(stamp::FIRST_INIT, booted);
    }
    if let Some(mut uart) = console() {
        let _ = writeln!(uart, "bench: first PD init");
    }
    Echo { stamps }
}

impl Handler for Echo {
    /// Replies with as many words as came, like the raw bench's echo thread
    /// (the words it received, handed back).
    fn protected(&mut self, _channel: Channel, msg: MessageInfo) -> MessageInfo {
        MessageInfo::new(0, msg.count())
    }

    fn notified(&mut self, _channels: ChannelSet) {
        let now = cycles();
        if let Some(stamps) = &self.stamps {
            let _ = stamps.write_u64(stamp::NOTIFIED_AT, now);
        }
    }
}
