//! ATTACK0017 (attacker): a compromised XNU that starts and stops the
//! microphone, then reprograms the physical timer (every PD may) to fire at
//! once and again and again, to bring the indicator's off forward. The
//! controller decides off from the counter, so the minimum on time holds.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use tightbeam::indicator::SensorRequest;
use tightbeam::{encode_request, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

const MIC: u32 = 2;

struct Saboteur;
impl Handler for Saboteur {}

fn init() -> Saboteur {
    let Ok(page) = memory_region_symbol!(xnu_tb_page_7, PAGE_BYTES) else {
        debug_println!("timer-saboteur: no message page");
        return Saboteur;
    };
    let Ok(ep) = Endpoint::new(Channel::new(7), page) else { return Saboteur };
    let send = |r: Request<'_>| {
        let mut m = [0u8; MESSAGE_BYTES];
        let mut reply = [0u8; MESSAGE_BYTES];
        encode_request(&r, &mut m).is_ok() && ep.call(&m, &mut reply).is_ok()
    };
    send(Request::SensorStart(SensorRequest { sensor: MIC, client: 1 }));
    send(Request::SensorStop(SensorRequest { sensor: MIC, client: 1 }));
    // Interrupts at once, many times: each one the timer PD takes and checks
    // against the counter.
    for _ in 0..1000 {
        generic_timer::set_compare(generic_timer::counter());
        generic_timer::set_control(generic_timer::CTL_ENABLE);
    }
    debug_println!("timer-saboteur: done");
    Saboteur
}
