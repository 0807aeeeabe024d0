//! The audio exclave, with a **simulated microphone**: no audio hardware
//! exists on QEMU's virt board here, so at start it writes a deterministic
//! waveform (`tightbeam::indicator::sample`, 16-bit little-endian) into its
//! samples buffer, which only the indicator controller also maps (read
//! only). XNU never maps it: it gets samples only through the controller's
//! arbitration.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Handler};
use tightbeam::indicator::sample;

protection_domain!(init);

/// The samples buffer's size (system.xml).
const AUDIO_BYTES: usize = 0x4000;

struct Audio;
impl Handler for Audio {}

fn init() -> Audio {
    let Ok(samples) = memory_region_symbol!(audio_samples, AUDIO_BYTES) else {
        debug_println!("no samples buffer mapped");
        return Audio;
    };
    let mut chunk = [0u8; 0x400];
    for at in (0..AUDIO_BYTES).step_by(chunk.len()) {
        for (i, pair) in chunk.chunks_exact_mut(2).enumerate() {
            pair.copy_from_slice(&sample((at / 2) + i).to_le_bytes());
        }
        let _ = samples.write(at, &chunk);
    }
    Audio
}
