//! ATTACK0003 (judge, parent): child 1 receives on its fault endpoint (our
//! endpoint) while child 2 faults. Both faults must reach us, each with its
//! own child's badge: child 1's as a cap fault on slot 2 in the receive
//! phase (it took nothing), child 2's as its own VM fault.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4::Fault;
use sel4_microkit::{protection_domain, Child, Handler, MessageInfo};

protection_domain!(init);

#[derive(Default)]
struct Judge {
    thief: Option<Fault>,
    faulter: Option<Fault>,
    reported: bool,
}

fn init() -> Judge {
    Judge::default()
}

impl Judge {
    fn verdict(&self) -> Result<(), &'static str> {
        ensure(
            matches!(self.thief, Some(Fault::CapFault { addr: 2, in_recv_phase: true, .. })),
            "child 1's fault is not a cap fault on slot 2",
        )?;
        // The faulter writes to the region it maps read-only.
        ensure(matches!(self.faulter, Some(Fault::VmFault { addr: 0x400_0000, .. })), "child 2's own VM fault did not arrive")
    }
}

impl Handler for Judge {
    fn fault(&mut self, child: Child, fault: Fault) -> Option<MessageInfo> {
        let slot = match child.id() {
            1 => &mut self.thief,
            _ => &mut self.faulter,
        };
        let first = slot.is_none();
        *slot = Some(fault);
        if !first && !self.reported {
            self.reported = true;
            judge!("ATTACK0003", "a child cannot receive a sibling's fault", Err("a child faulted twice"));
        } else if self.thief.is_some() && self.faulter.is_some() && !self.reported {
            self.reported = true;
            judge!("ATTACK0003", "a child cannot receive a sibling's fault", self.verdict());
        }
        None
    }
}
