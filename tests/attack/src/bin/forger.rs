//! ATTACK0007: sends a VM-fault-shaped message on its own fault endpoint
//! (which it may: write and grant) claiming a fault at 0xdead0. The monitor
//! must take it as this PD's fault, and nobody else's, and stop this PD.
#![no_std]
#![no_main]

use sel4::cap_type::Endpoint;
use sel4::{fault_layout, sys::fault_tag, Cap, MessageInfo};
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Forger;
impl Handler for Forger {}

fn init() -> Forger {
    sel4::with_ipc_buffer(|b| {
        b.msg[fault_layout::vm_fault::IP] = 0x1234;
        b.msg[fault_layout::vm_fault::ADDR] = 0xdead0;
        b.msg[fault_layout::vm_fault::PREFETCH_FAULT] = 0;
        b.msg[fault_layout::vm_fault::FSR] = 0;
    });
    let info = MessageInfo::new(fault_tag::VM_FAULT, 0, 0, fault_layout::vm_fault::LENGTH as u64);
    Cap::<Endpoint>::from_bits(monitor_spec::abi::slot::FAULT_EP).send(info);
    debug_println!("still running after forging a fault");
    Forger
}
