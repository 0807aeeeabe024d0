//! MK0001: one PD starts, knows its name, and runs init.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, pd_name, protection_domain, Handler};

protection_domain!(init);

struct Hello;
impl Handler for Hello {}

fn init() -> Hello {
    debug_println!("hello, world");
    let ok = microkit_examples::ensure(pd_name() == "hello", "the tool did not patch the PD's name");
    microkit_examples::report("MK0001", "a PD starts and knows its name", ok);
    Hello
}
