//! MK0011 (with `timer_early`): sets a deadline, then lets `timer_early`
//! set, cancel and set its own on the same driver. It judges that its own
//! deadline was neither moved earlier (it is told once the driver's time
//! has reached it) nor dropped (it is told at all), then tells
//! `timer_keeper` the test is over.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler};

const TIMER: Channel = Channel::new(1);
const EARLY: Channel = Channel::new(2);
const KEEPER: Channel = Channel::new(3);
const NAME: &str = "MK0011-peer";
const DESCRIPTION: &str = "a client's deadline is not moved by another client's calls";
/// Well after `timer_early` has finished.
const DEADLINE_NS: u64 = 20_000_000;

protection_domain!(init);

struct Late {
    deadline: Option<u64>,
}

fn arm() -> Result<u64, &'static str> {
    let deadline = timer_client::now(TIMER).map_err(|_| "NOW failed")? + DEADLINE_NS;
    timer_client::set_deadline(TIMER, deadline).map_err(|_| "SET_DEADLINE failed")?;
    EARLY.notify().map_err(|_| "cannot notify timer_early")?;
    Ok(deadline)
}

fn finish(result: Result<(), &'static str>) -> Late {
    microkit_examples::report(NAME, DESCRIPTION, result);
    let _ = KEEPER.notify();
    Late { deadline: None }
}

fn init() -> Late {
    match arm() {
        Ok(deadline) => Late { deadline: Some(deadline) },
        Err(e) => finish(Err(e)),
    }
}

impl Handler for Late {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(deadline) = self.deadline else { return };
        let verdict = || -> Result<(), &'static str> {
            microkit_examples::ensure(channels.contains(TIMER), "notified on a channel other than the timer's")?;
            let now = timer_client::now(TIMER).map_err(|_| "NOW failed")?;
            microkit_examples::ensure(now >= deadline, "told of the deadline before the driver's time reached it")
        };
        *self = finish(verdict());
    }
}
