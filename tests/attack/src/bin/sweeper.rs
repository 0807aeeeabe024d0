//! ATTACK0004: a child that holds nothing but its input and fault endpoint
//! probes every other slot of its CNode with TCB, CNode, Untyped and IRQ
//! control invocations (each refused) and a Recv (a cap fault).
#![no_std]
#![no_main]

use core::sync::atomic::AtomicUsize;

use attack_pds::sweep::{attack, Plan};
use sel4_microkit::{protection_domain, Channel, Handler};

/// Survives the restarts: the monitor does not reload a PD's memory.
static NEXT: AtomicUsize = AtomicUsize::new(0);

protection_domain!(init);

struct Sweeper;
impl Handler for Sweeper {}

fn init() -> Sweeper {
    attack(Plan::EmptySlots, &NEXT, Channel::new(0));
    Sweeper
}
