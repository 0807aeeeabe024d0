//! MK0006 (with `child`): the child faults on its first run; the parent gets
//! the fault, restarts it, and the child then reports success by notifying.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, ChannelSet, Child, Handler, MessageInfo};

const CHILD_CHANNEL: Channel = Channel::new(0);

protection_domain!(init);

struct Parent {
    faults: u32,
}

fn init() -> Parent {
    Parent { faults: 0 }
}

impl Handler for Parent {
    fn fault(&mut self, child: Child, _fault: sel4_microkit::sel4::Fault) -> Option<MessageInfo> {
        self.faults += 1;
        if child.id() != 1 || self.faults > 1 || child.restart().is_err() {
            microkit_examples::report("MK0006", "a parent restarts its crashing child", Err("unexpected fault or restart failed"));
        }
        None
    }

    fn notified(&mut self, channels: ChannelSet) {
        let ok = microkit_examples::ensure(
            channels.contains(CHILD_CHANNEL) && self.faults == 1,
            "the child notified without having faulted exactly once",
        );
        microkit_examples::report("MK0006", "a parent restarts its crashing child", ok);
    }
}
