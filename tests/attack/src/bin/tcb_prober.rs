//! ATTACK0005: a child tries to suspend, lower, rewrite and resume its
//! sibling (and every other child id) through the child-TCB slots of its own
//! CNode, which hold nothing: only its parent has its children's TCBs.
#![no_std]
#![no_main]

use core::sync::atomic::AtomicUsize;

use attack_pds::sweep::{attack, Plan};
use sel4_microkit::{protection_domain, Channel, Handler};

/// Survives the restarts: the monitor does not reload a PD's memory.
static NEXT: AtomicUsize = AtomicUsize::new(0);

protection_domain!(init);

struct Prober;
impl Handler for Prober {}

fn init() -> Prober {
    attack(Plan::ChildTcbSlots, &NEXT, Channel::new(0));
    Prober
}
