//! ATTACK0014 (judge): runs after the attacker, maps the outbound buffer
//! read-only as well, and checks that it holds the buffers exclave's first
//! generation, byte for byte: the attacker's write changed nothing. Then,
//! as a second client of the exclave, it has it refill and finds the
//! second generation there: the exclave still answers correctly.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MemoryRegion};
use tightbeam::buffers::{pattern, Refill};
use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

/// Whether `outbound` holds generation `generation`, byte for byte.
fn holds(outbound: &MemoryRegion, generation: u64) -> Result<bool, &'static str> {
    let mut chunk = [0u8; 0x400];
    for at in (0..outbound.size()).step_by(chunk.len()) {
        outbound.read(at, &mut chunk).map_err(|_| "the buffer did not read")?;
        if !chunk.iter().enumerate().all(|(i, &b)| b == pattern(generation, at + i)) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn check() -> Result<(), &'static str> {
    let outbound = memory_region_symbol!(outbound, 0x4000).map_err(|_| "the outbound buffer is not mapped")?;
    ensure(holds(&outbound, 1)?, "the outbound buffer is not the exclave's first generation")?;
    let page = memory_region_symbol!(judge_page, PAGE_BYTES).map_err(|_| "no message page")?;
    let ep = Endpoint::new(Channel::new(1), page).map_err(|_| "the message page is too small")?;
    let mut m = [0u8; MESSAGE_BYTES];
    let mut reply = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Refill(Refill), &mut m).map_err(|_| "refill does not encode")?;
    ep.call(&m, &mut reply).map_err(|_| "the buffers exclave stopped answering")?;
    let r = Received::copy_from(&reply).map_err(|_| "not a message")?;
    ensure(matches!(decode_reply(&r, MethodId::Refill), Ok(Ok(Reply::Filled(f))) if f.generation == 2), "the refill was not the second generation")?;
    ensure(holds(&outbound, 2)?, "the outbound buffer does not hold the second generation")
}

fn init() -> Judge {
    judge!("ATTACK0014", "XNU cannot write an outbound buffer it maps read-only; the exclave's data stays", check());
    Judge
}
