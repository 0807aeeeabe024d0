//! ATTACK0010 (judge, priority 100): runs after the parent (150) tried to
//! raise the child (50) above it. The child must not have run yet: its flag
//! is still 0.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    let flag = memory_region_symbol!(flag_vaddr, 0x1000).map_err(|_| "the flag region is not mapped")?;
    ensure(flag.read_u64(0) == Ok(0), "the child ran before us: its parent raised its priority")
}

fn init() -> Judge {
    judge!("ATTACK0010", "a parent cannot raise its child's priority or MCP", check());
    Judge
}
