//! ATTACK0009: a parent (as XNU is to its tasks) tries to move its child into
//! another CSpace and VSpace, and to reconfigure it, with the caps it holds
//! (its endpoint and its notification caps; no PD holds a CNode or VSpace
//! cap). The kernel must refuse each.
#![no_std]
#![no_main]

use monitor_spec::abi::slot;
use sel4::cap_type::Tcb;
use sel4::{Cap, CapData, PrioProps};
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Parent;
impl Handler for Parent {}

fn init() -> Parent {
    let child = Cap::<Tcb>::from_bits(slot::CHILD_TCB_BASE + 1);
    for held in [slot::INPUT, slot::FAULT_EP, slot::VSPACE, slot::NOTIFY_BASE] {
        let cap = Cap::from_bits(held);
        let moved = child.tcb_set_space(slot::FAULT_EP, cap, CapData::none(), cap, CapData::none());
        let configured = child.tcb_configure(slot::FAULT_EP, PrioProps::new(0, 0), cap, CapData::none(), cap, CapData::none(), 0, cap.cptr());
        debug_println!("with slot {held}: set space {moved:?}, configure {configured:?}");
    }
    Parent
}
