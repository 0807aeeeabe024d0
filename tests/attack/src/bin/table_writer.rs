//! ATTACK0011 (attacker): a compromised XNU that rewrites the exclaves
//! resource table it maps read-only, as the default system maps it: it
//! renames the magic and reseals the checksum, so that a write that got
//! through would leave a table that still parses but is not the build's.
//! The first write must be a fault of this PD's own.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct Writer;
impl Handler for Writer {}

fn init() -> Writer {
    let Ok(table) = memory_region_symbol!(exclaves_table, 0x4000) else {
        debug_println!("table-writer: the table region is not mapped");
        return Writer;
    };
    // SAFETY: nothing; the write is the attack (the region is read-only here).
    unsafe { table.base().write_volatile(b'X') };
    let mut header = [0u8; 32];
    if table.read(0, &mut header).is_ok() {
        let total = u32::from_le_bytes([header[16], header[17], header[18], header[19]]) as usize;
        // SAFETY: as above; only reached if the first write did not fault.
        let bytes = unsafe { core::slice::from_raw_parts_mut(table.base(), total.min(table.size())) };
        exclaves_table::seal(bytes);
    }
    debug_println!("table-writer: rewrote the resource table");
    Writer
}
