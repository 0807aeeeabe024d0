//! ATTACK0004 and ATTACK0005 (judge, parent): the prober child runs a sweep
//! plan; each of its faults must be the cap fault the plan's next Recv
//! gives, after which it is restarted, and it then notifies us. Then child
//! 2, the sibling every invocation of the sweep would have hit had a slot
//! held its TCB, must still run and notify us too: nothing changed.
#![no_std]
#![no_main]

use attack_pds::sweep::Plan;
use attack_pds::{ensure, judge};
use sel4_microkit::{protection_domain, Channel, ChannelSet, Child, Handler, MessageInfo};

const PROBER: Channel = Channel::new(0);
const SIBLING: Channel = Channel::new(1);
const SIBLING_ID: u8 = 2;

protection_domain!(init);

struct Judge {
    plan: Plan,
    faults: usize,
    prober_done: bool,
    sibling_done: bool,
    reported: bool,
}

fn init() -> Judge {
    // The two systems differ in the prober's id: 1 sweeps empty slots, 3 child-TCB slots.
    let plan = if Child::new(3).is_some() { Plan::ChildTcbSlots } else { Plan::EmptySlots };
    Judge { plan, faults: 0, prober_done: false, sibling_done: false, reported: false }
}

impl Judge {
    fn report(&mut self, result: Result<(), &'static str>) {
        if self.reported {
            return;
        }
        self.reported = true;
        match self.plan {
            Plan::EmptySlots => judge!(
                "ATTACK0004",
                "every slot system.xml left empty gives errors only (invocations refused, Recv a cap fault); nothing changes",
                result
            ),
            Plan::ChildTcbSlots => judge!("ATTACK0005", "a child cannot touch its sibling's TCB; the sibling runs on", result),
        }
    }
}

impl Handler for Judge {
    fn fault(&mut self, child: Child, fault: sel4::Fault) -> Option<MessageInfo> {
        let k = self.faults;
        self.faults += 1;
        let planned = child.id() != SIBLING_ID && self.plan.faulted_as_planned(k, fault);
        if !planned || child.restart().is_err() {
            let _ = child.stop();
            self.report(Err("a fault was not the cap fault the plan's next Recv gives"));
        }
        None
    }

    fn notified(&mut self, channels: ChannelSet) {
        self.prober_done |= channels.contains(PROBER);
        self.sibling_done |= channels.contains(SIBLING);
        if self.prober_done && self.sibling_done {
            self.report(ensure(self.faults == self.plan.faults(), "the prober finished without every planned fault"));
        }
    }
}
