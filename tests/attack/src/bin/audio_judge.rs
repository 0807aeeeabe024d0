//! ATTACK0015 (judge): runs after the thief and checks the arbitrated
//! audio buffer (mapped read-only here too): all zeros, so neither the
//! thief's copy without a grant nor its write put a byte there.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    let audio = memory_region_symbol!(audio, 0x4000).map_err(|_| "the audio buffer is not mapped")?;
    let mut chunk = [0u8; 0x400];
    for at in (0..audio.size()).step_by(chunk.len()) {
        audio.read(at, &mut chunk).map_err(|_| "the buffer did not read")?;
        ensure(chunk.iter().all(|&b| b == 0), "the audio buffer holds bytes without a grant")?;
    }
    Ok(())
}

fn init() -> Judge {
    judge!("ATTACK0015", "XNU gets no audio without a grant and cannot write the audio buffer", check());
    Judge
}
