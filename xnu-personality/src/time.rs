//! Time: `mach_absolute_time` is the ARM generic timer's physical counter
//! (Apple's ticks at 24 MHz; ours at CNTFRQ, 62.5 MHz on QEMU virt), and
//! deadlines are the timer driver's (`pds/timer`), which notifies XNU.
//! Whether a deadline passed is always decided by reading the counter:
//! the interrupt only says when to look.
use generic_timer::{ns_to_ticks_ceil, ticks_to_ns};
use sel4_microkit::Channel;

/// XNU's channel to the timer driver.
pub const TIMER: Channel = Channel::new(2);

/// Counter ticks since the machine started.
pub fn now() -> u64 {
    generic_timer::counter()
}

fn frequency() -> u64 {
    generic_timer::frequency().max(1)
}

pub fn ms_to_ticks(ms: u64) -> u64 {
    ns_to_ticks_ceil(ms.saturating_mul(1_000_000), frequency())
}

/// `mach_timebase_info`: ns = ticks * numer / denom, reduced.
pub fn timebase() -> (u32, u32) {
    let (mut numer, mut denom) = (1_000_000_000u64, frequency());
    let gcd = {
        let (mut a, mut b) = (numer, denom);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    numer /= gcd;
    denom /= gcd;
    (u32::try_from(numer).unwrap_or(u32::MAX), u32::try_from(denom).unwrap_or(1))
}

/// The one deadline XNU holds at the timer driver: the earliest any task
/// waits for.
pub struct Clock {
    armed: Option<u64>,
}

impl Clock {
    pub fn new() -> Self {
        Clock { armed: None }
    }

    /// A new wait until `deadline` ticks: arm for it if it is the earliest.
    pub fn want(&mut self, deadline: u64) {
        if self.armed.is_none_or(|armed| deadline < armed) {
            self.arm(Some(deadline));
        }
    }

    /// Arms for `earliest` (or nothing), after deadlines were taken off.
    pub fn rearm(&mut self, earliest: Option<u64>) {
        if self.armed != earliest {
            self.arm(earliest);
        }
    }

    fn arm(&mut self, deadline: Option<u64>) {
        // Rounding up: the notification never comes before the counter
        // reaches the deadline (and the counter decides anyway).
        let result = match deadline {
            Some(ticks) => timer_client::set_deadline(TIMER, ticks_to_ns(ticks, frequency()).saturating_add(1)),
            None => timer_client::cancel(TIMER),
        };
        self.armed = if result.is_ok() { deadline } else { None };
    }
}
