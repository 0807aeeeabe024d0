//! ATTACK0011 (judge): runs after the table writer (lower priority) and
//! checks that the table in the region both map read-only is still the
//! build's: it parses (magic, version, checksum) and names the kernel
//! domain's hello service with id 1, as manifests/kernel.toml does.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use exclaves_table::{ResourceType, Table, TOTAL_SIZE_OFFSET};
use sel4_microkit::{memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    let region = memory_region_symbol!(exclaves_table, 0x4000).map_err(|_| "the table region is not mapped")?;
    let total = region.read_u64(TOTAL_SIZE_OFFSET).map_err(|_| "the table region is too small")? as u32 as usize;
    ensure(total <= region.size(), "the table's size is past its region")?;
    // SAFETY: mapped readable for this PD's life; no PD can write it.
    let bytes = unsafe { core::slice::from_raw_parts(region.base(), total) };
    let table = Table::parse(bytes).map_err(|_| "the table no longer parses")?;
    let hello = table.lookup("kernel", "hello", ResourceType::Service).ok_or("the table lost the kernel domain's hello")?;
    ensure(hello.id == 1, "hello's id changed")?;
    Ok(())
}

fn init() -> Judge {
    judge!("ATTACK0011", "XNU cannot write the exclaves resource table it maps read-only", check());
    Judge
}
