//! ATTACK0016 (attacker): a compromised XNU that starts the microphone and
//! then tries to turn the indicator off while it runs: stops for clients
//! that never started it, the end of clients that are not the starter,
//! and the physical timer stopped and its compare pushed out (every PD may
//! program it); last it writes the indicator device where the controller
//! maps it, which XNU does not map (its own fault). It never stops the
//! microphone. The indicator must stay on.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Handler};
use tightbeam::indicator::{ClientGone, SensorRequest};
use tightbeam::{encode_request, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

protection_domain!(init);

const MIC: u32 = 2;
/// Where the indicator controller maps the device (system.xml).
const DEVICE: usize = 0x410_0000;

struct Hider;
impl Handler for Hider {}

fn init() -> Hider {
    let Ok(page) = memory_region_symbol!(xnu_tb_page_7, PAGE_BYTES) else {
        debug_println!("indicator-hider: no message page");
        return Hider;
    };
    let Ok(ep) = Endpoint::new(Channel::new(7), page) else { return Hider };
    let send = |r: Request<'_>| {
        let mut m = [0u8; MESSAGE_BYTES];
        let mut reply = [0u8; MESSAGE_BYTES];
        encode_request(&r, &mut m).is_ok() && ep.call(&m, &mut reply).is_ok()
    };
    send(Request::SensorStart(SensorRequest { sensor: MIC, client: 1 }));
    for client in [0, 2, 3, u32::MAX] {
        send(Request::SensorStop(SensorRequest { sensor: MIC, client }));
        send(Request::ClientGone(ClientGone { client }));
    }
    for sensor in [1, 3, 4] {
        send(Request::SensorStop(SensorRequest { sensor, client: 1 }));
    }
    generic_timer::set_control(0);
    generic_timer::set_compare(u64::MAX);
    debug_println!("indicator-hider: the microphone still runs; now the device");
    // SAFETY: nothing; the write is the attack (nothing is mapped there).
    unsafe { (DEVICE as *mut u64).write_volatile(0) };
    debug_println!("indicator-hider: wrote the indicator device");
    Hider
}
