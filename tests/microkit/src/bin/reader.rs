//! MK0004 (with `writer`): reads the shared region (mapped read-only here).
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, ChannelSet, Handler};

protection_domain!(init);

struct Reader;

fn init() -> Reader {
    Reader
}

fn check() -> Result<(), &'static str> {
    let shared = memory_region_symbol!(shared_vaddr, 0x1000).map_err(|_| "shared region not mapped")?;
    for i in 0..512 {
        let word = shared.read_u64(i * 8).map_err(|_| "read out of bounds")?;
        microkit_examples::ensure(word == 0x5eed_0000 + i as u64, "the reader saw a different word")?;
    }
    Ok(())
}

impl Handler for Reader {
    fn notified(&mut self, _channels: ChannelSet) {
        microkit_examples::report("MK0004", "a region written by one PD is read by another", check());
    }
}
