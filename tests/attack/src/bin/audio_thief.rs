//! ATTACK0015 (attacker): a compromised XNU after the microphone's audio
//! without a grant: it has the indicator controller copy audio with the
//! microphone never started, reads the arbitrated buffer it maps
//! read-only, and then writes it. The write must be its own fault; what it
//! read is not its to judge.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use tightbeam::indicator::AudioCopy;
use tightbeam::{encode_request, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    let (Ok(page), Ok(audio)) = (memory_region_symbol!(xnu_tb_page_7, PAGE_BYTES), memory_region_symbol!(audio, 0x4000)) else {
        debug_println!("audio-thief: a region is not mapped");
        return Thief;
    };
    let mut m = [0u8; MESSAGE_BYTES];
    let mut reply = [0u8; MESSAGE_BYTES];
    let copy = Request::AudioCopy(AudioCopy { ranges: [(0x4000, 0), (0, 0)] });
    let asked = encode_request(&copy, &mut m).is_ok() && Endpoint::new(Channel::new(7), page).is_ok_and(|ep| ep.call(&m, &mut reply).is_ok());
    let first = audio.read_u64(0).unwrap_or(u64::MAX);
    debug_println!("audio-thief: asked: {asked}, read {first:#x}");
    // SAFETY: nothing; the write is the attack (the buffer is read-only here).
    unsafe { audio.base().write_volatile(0x55) };
    debug_println!("audio-thief: wrote the audio buffer");
    Thief
}
