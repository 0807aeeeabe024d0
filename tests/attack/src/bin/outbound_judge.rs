//! ATTACK0014 (judge): runs after the attacker, maps the outbound buffer
//! read-only as well, and checks that it holds the buffers exclave's first
//! generation, byte for byte: the attacker's write changed nothing.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Handler};
use tightbeam::buffers::pattern;

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    let outbound = memory_region_symbol!(outbound, 0x4000).map_err(|_| "the outbound buffer is not mapped")?;
    let mut chunk = [0u8; 0x400];
    for at in (0..outbound.size()).step_by(chunk.len()) {
        outbound.read(at, &mut chunk).map_err(|_| "the buffer did not read")?;
        ensure(chunk.iter().enumerate().all(|(i, &b)| b == pattern(1, at + i)), "the outbound buffer is not the exclave's first generation")?;
    }
    Ok(())
}

fn init() -> Judge {
    judge!("ATTACK0014", "XNU cannot write an outbound buffer it maps read-only; the exclave's data stays", check());
    Judge
}
