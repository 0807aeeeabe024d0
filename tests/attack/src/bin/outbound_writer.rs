//! ATTACK0014 (attacker): a compromised XNU that asks the buffers exclave
//! to refill the outbound buffer, as XNU may, then writes that buffer,
//! which it maps read-only as in the default system. The write must be a
//! fault of this PD's own.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use tightbeam::buffers::Refill;
use tightbeam::{encode_request, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

struct Writer;
impl Handler for Writer {}

fn init() -> Writer {
    let page = memory_region_symbol!(xnu_tb_page_5, PAGE_BYTES);
    let outbound = memory_region_symbol!(outbound, 0x4000);
    let (Ok(page), Ok(outbound)) = (page, outbound) else {
        debug_println!("outbound-writer: a region is not mapped");
        return Writer;
    };
    let mut m = [0u8; MESSAGE_BYTES];
    let mut reply = [0u8; MESSAGE_BYTES];
    let refilled = encode_request(&Request::Refill(Refill), &mut m).is_ok()
        && Endpoint::new(Channel::new(5), page).is_ok_and(|ep| ep.call(&m, &mut reply).is_ok());
    debug_println!("outbound-writer: refilled: {refilled}");
    // SAFETY: nothing; the write is the attack (the buffer is read-only here).
    unsafe { outbound.base().write_volatile(0xff) };
    debug_println!("outbound-writer: wrote the outbound buffer");
    Writer
}
