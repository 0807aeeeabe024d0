//! MK0016: the regions the tool prefilled from `prefill.bin` hold the file's
//! bytes, and zero after them to the region's end.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Handler, MemoryRegion};

protection_domain!(init);

/// `tests/microkit/data/prefill.bin`'s length and its byte at each offset.
const FILE_LEN: usize = 5000;
fn file_byte(i: usize) -> u8 {
    ((i * 7 + 1) % 251) as u8
}

struct Prefilled;
impl Handler for Prefilled {}

fn init() -> Prefilled {
    microkit_examples::report("MK0016", "regions prefilled from a file hold its bytes, then zeros", check());
    Prefilled
}

fn check() -> Result<(), &'static str> {
    let table = memory_region_symbol!(table_vaddr, 0x2000).map_err(|_| "region 'table' not mapped")?;
    let padded = memory_region_symbol!(padded_vaddr, 0x4000).map_err(|_| "region 'padded' not mapped")?;
    holds_the_file(&table)?;
    holds_the_file(&padded)
}

fn holds_the_file(region: &MemoryRegion) -> Result<(), &'static str> {
    let mut page = [0u8; 0x1000];
    for start in (0..region.size()).step_by(page.len()) {
        region.read(start, &mut page).map_err(|_| "read out of bounds")?;
        for (k, &byte) in page.iter().enumerate() {
            let i = start + k;
            let want = if i < FILE_LEN { file_byte(i) } else { 0 };
            microkit_examples::ensure(byte == want, if i < FILE_LEN { "a byte differs from the file" } else { "a byte after the file is not zero" })?;
        }
    }
    Ok(())
}
