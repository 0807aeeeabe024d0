//! ATTACK0001, ATTACK0003: receives on its own fault endpoint (slot 2), to
//! take another PD's fault. Without the read right this is a cap fault of
//! its own, which its fault handler (the monitor, or its parent) reports.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    attack_pds::receive_on(monitor_spec::abi::slot::FAULT_EP);
    Thief
}
