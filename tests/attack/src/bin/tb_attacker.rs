//! ATTACK0012 (attacker): a compromised XNU that sends the hello and echo
//! exclaves, on the channels and pages the default system grants it,
//! messages no honest XNU would: malformed headers, truncated and
//! oversized payloads, every bit of a good request flipped in turn, and
//! bare calls that are not (a label, message words). What the services
//! answer is not its to judge; the judge checks afterwards that they serve.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler, MessageInfo};
use tightbeam::echo::Echo;
use tightbeam::{encode_request, Request, MESSAGE_BYTES, PAYLOAD_MAX};
use tightbeam_channel::PAGE_BYTES;

protection_domain!(init);

const HELLO: Channel = Channel::new(3);
const ECHO: Channel = Channel::new(4);

struct Attacker;
impl Handler for Attacker {}

/// The hostile messages: (what, bytes).
fn messages(each: &mut impl FnMut(&[u8; MESSAGE_BYTES])) {
    let mut good = [0u8; MESSAGE_BYTES];
    if encode_request(&Request::Echo(Echo { bytes: &[0xa5; PAYLOAD_MAX] }), &mut good).is_err() {
        return;
    }
    // Malformed headers: no service, an unknown one, flags, a status, a version.
    for (at, value) in [(0, 0u8), (0, 0xff), (6, 1), (12, 1), (4, 9), (2, 0x77)] {
        let mut m = good;
        m[at] = value;
        each(&m);
    }
    // Truncated: lengths short of what the payload needs, and zero.
    for len in [0u32, 1, 3] {
        let mut m = good;
        m[8..12].copy_from_slice(&len.to_le_bytes());
        each(&m);
    }
    // Oversized: lengths past the payload.
    for len in [PAYLOAD_MAX as u32 + 1, 0x1000, u32::MAX] {
        let mut m = good;
        m[8..12].copy_from_slice(&len.to_le_bytes());
        each(&m);
    }
    // Every header bit flipped in turn, then bits across the payload.
    for bit in (0..16 * 8).chain((16 * 8..MESSAGE_BYTES * 8).step_by(61)) {
        let mut m = good;
        m[bit / 8] ^= 1 << (bit % 8);
        each(&m);
    }
    // All ones.
    each(&[0xff; MESSAGE_BYTES]);
}

fn init() -> Attacker {
    let pages = [(HELLO, memory_region_symbol!(xnu_tb_page_3, PAGE_BYTES)), (ECHO, memory_region_symbol!(xnu_tb_page_4, PAGE_BYTES))];
    let mut sent = 0u32;
    for (channel, page) in pages {
        let Ok(page) = page else {
            debug_println!("tb-attacker: a message page is not mapped");
            continue;
        };
        messages(&mut |m| {
            if page.write(0, m).is_ok() && channel.pp_call(MessageInfo::new(0, 0)).is_ok() {
                sent += 1;
            }
        });
        // Calls that are not bare: a label, then message words.
        let _ = channel.pp_call(MessageInfo::new(7, 0));
        let _ = channel.pp_call(MessageInfo::new(0, 4));
    }
    debug_println!("tb-attacker: sent {sent} hostile messages");
    Attacker
}
