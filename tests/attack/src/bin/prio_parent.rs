//! ATTACK0010: a parent tries to raise its child (priority 50) to 140, above
//! the judge (100), and to raise its maximum controlled priority. Every PD
//! runs with maximum controlled priority 1 at most, and 5.0.0 bounds both by
//! the caller's, so both must be refused.
#![no_std]
#![no_main]

use sel4::cap_type::Tcb;
use sel4::Cap;
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Parent;
impl Handler for Parent {}

fn init() -> Parent {
    let child = Cap::<Tcb>::from_bits(monitor_spec::abi::slot::CHILD_TCB_BASE + 1);
    debug_println!("raising the child to 140: {:?}", child.tcb_set_priority(140));
    debug_println!("raising the child's MCP to 140: {:?}", child.tcb_set_mc_priority(140));
    Parent
}
