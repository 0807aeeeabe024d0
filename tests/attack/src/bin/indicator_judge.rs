//! ATTACK0016 (judge): runs after the attacker, waits past the minimum on
//! time (3.5 s on its own timer channel), and reads the simulated indicator
//! device (mapped read-only here, and not at all into XNU): it must be on,
//! having changed once, since the microphone still runs. Then it tells the
//! keeper, which holds the monitor from declaring the system ready.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};

protection_domain!(init);

const TIMER: Channel = Channel::new(1);
const KEEPER: Channel = Channel::new(2);
const WAIT_NS: u64 = 3_500_000_000;

struct Judge;

fn check() -> Result<(), &'static str> {
    let device = memory_region_symbol!(sim_indicator, 0x1000).map_err(|_| "the indicator device is not mapped")?;
    let on = device.read_u64(0).map_err(|_| "the device did not read")?;
    let changes = device.read_u64(8).map_err(|_| "the device did not read")?;
    ensure(on == 1, "the indicator is off while the microphone runs")?;
    ensure(changes == 1, "the indicator went off and on again")
}

fn verdict(result: Result<(), &'static str>) {
    judge!("ATTACK0016", "XNU cannot turn the indicator off while the microphone runs", result);
    let _ = KEEPER.notify();
}

fn init() -> Judge {
    let armed = timer_client::now(TIMER).and_then(|now| timer_client::set_deadline(TIMER, now + WAIT_NS));
    if armed.is_err() {
        verdict(Err("the timer took no deadline"));
    }
    Judge
}

impl Handler for Judge {
    fn notified(&mut self, channels: ChannelSet) {
        if channels.contains(TIMER) {
            verdict(check());
        }
    }
}
