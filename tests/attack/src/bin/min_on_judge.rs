//! ATTACK0017 (judge): starts just after the saboteur stopped the
//! microphone, and reads the simulated indicator device (mapped read-only
//! here) twice on its own timer channel: on at 2.9 s from its start (so
//! less than 3.1 s after the stop), off at 3.6 s (more than 3.1 s after
//! it). Then it tells the keeper.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};

protection_domain!(init);

const TIMER: Channel = Channel::new(1);
const KEEPER: Channel = Channel::new(2);
const STILL_ON_NS: u64 = 2_900_000_000;
const OFF_BY_NS: u64 = 3_600_000_000;

struct Judge {
    start: u64,
    /// Whether the first look (still on) is done.
    looked: bool,
}

fn on() -> Result<bool, &'static str> {
    let device = memory_region_symbol!(sim_indicator, 0x1000).map_err(|_| "the indicator device is not mapped")?;
    Ok(device.read_u64(0).map_err(|_| "the device did not read")? == 1)
}

fn verdict(result: Result<(), &'static str>) {
    judge!("ATTACK0017", "a reprogrammed timer cannot cut the indicator's minimum on time short", result);
    let _ = KEEPER.notify();
}

fn init() -> Judge {
    let start = timer_client::now(TIMER).unwrap_or(0);
    if timer_client::set_deadline(TIMER, start + STILL_ON_NS).is_err() {
        verdict(Err("the timer took no deadline"));
    }
    Judge { start, looked: false }
}

impl Handler for Judge {
    fn notified(&mut self, channels: ChannelSet) {
        if !channels.contains(TIMER) {
            return;
        }
        let now = timer_client::now(TIMER).unwrap_or(0);
        if !self.looked {
            if now < self.start + STILL_ON_NS {
                let _ = timer_client::set_deadline(TIMER, self.start + STILL_ON_NS);
                return;
            }
            self.looked = true;
            match on().and_then(|on| ensure(on, "the indicator was off less than 3.1 s after the stop")) {
                Ok(()) => {
                    let _ = timer_client::set_deadline(TIMER, self.start + OFF_BY_NS);
                }
                Err(why) => verdict(Err(why)),
            }
        } else if now >= self.start + OFF_BY_NS {
            verdict(on().and_then(|on| ensure(!on, "the indicator was still on 0.5 s after its minimum time")));
        } else {
            let _ = timer_client::set_deadline(TIMER, self.start + OFF_BY_NS);
        }
    }
}
