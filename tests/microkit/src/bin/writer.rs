//! MK0004 (with `reader`): fills a shared region and tells the reader.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};

const READER: Channel = Channel::new(0);
pub const PATTERN_WORDS: usize = 512;

protection_domain!(init);

struct Writer;
impl Handler for Writer {}

fn init() -> Writer {
    let write = || -> Result<(), &'static str> {
        let shared = memory_region_symbol!(shared_vaddr, 0x1000).map_err(|_| "shared region not mapped")?;
        for i in 0..PATTERN_WORDS {
            shared.write_u64(i * 8, 0x5eed_0000 + i as u64).map_err(|_| "write out of bounds")?;
        }
        // One word past the region must be refused by the bounds check.
        if shared.write_u64(0x1000, 0).is_ok() {
            return Err("a write past the region was accepted");
        }
        READER.notify().map_err(|_| "cannot notify the reader")
    };
    if let Err(e) = write() {
        microkit_examples::report("MK0004", "a region written by one PD is read by another", Err(e));
    } else {
        debug_println!("wrote {} words", PATTERN_WORDS);
    }
    Writer
}
