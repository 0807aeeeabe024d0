//! The timer driver PD: owns the non-secure physical timer's interrupt
//! (PPI 30, an `<irq>` with id `IRQ`) and serves `timer-client`'s protected
//! calls: the time, and one deadline per client channel, notified on that
//! channel once the counter reaches it.
//!
//! Every PD can read the counter and program the physical timer (the kernel
//! opens both to EL0), so another PD may move or stop the interrupt. Every
//! decision here is made from the counter: an interrupt only says "look
//! now". A deadline is notified when the counter has reached it, never
//! before, whatever the interrupt does; a PD that disables the timer can
//! only delay notifications.
#![no_std]
#![no_main]

use generic_timer::{ns_to_ticks_ceil, ticks_to_ns, CTL_ENABLE};
use monitor_spec::abi::MAX_CHANNEL_ID;
use sel4_microkit::{debug_println, get_mr, protection_domain, set_mr, Channel, ChannelSet, Handler, MessageInfo};
use timer_client::{Method, Status};

/// The channel id of the timer's `<irq>` in system.xml.
const IRQ: Channel = Channel::new(0);
/// Deadlines, by the caller's channel id.
const CHANNELS: usize = MAX_CHANNEL_ID as usize + 1;

protection_domain!(init);

struct Timer {
    /// The counter's frequency; 0 (unknown) refuses every call.
    hz: u64,
    /// The deadline of the client on each channel, in nanoseconds.
    deadlines: [Option<u64>; CHANNELS],
}

fn init() -> Timer {
    let hz = generic_timer::frequency();
    if hz == 0 {
        debug_println!("CNTFRQ_EL0 reads 0: no time to keep; every call is refused");
    }
    // Off until a client sets a deadline.
    generic_timer::set_control(0);
    Timer { hz, deadlines: [None; CHANNELS] }
}

impl Timer {
    fn now(&self) -> u64 {
        ticks_to_ns(generic_timer::counter(), self.hz)
    }

    /// Notifies every client whose deadline the counter has reached, then
    /// sets the timer for the earliest one left (or turns it off).
    fn expire_and_arm(&mut self) {
        let now = self.now();
        let mut earliest: Option<u64> = None;
        for (id, slot) in self.deadlines.iter_mut().enumerate() {
            match *slot {
                Some(deadline) if deadline <= now => {
                    *slot = None;
                    // SetDeadline checked the channel may notify.
                    if let Ok(channel) = Channel::try_new(id as u64) {
                        let _ = channel.notify();
                    }
                }
                Some(deadline) => earliest = Some(earliest.map_or(deadline, |e| e.min(deadline))),
                None => {}
            }
        }
        match earliest {
            // If the counter passes it before this returns, the interrupt
            // is pending at once and the next look finds it due.
            Some(deadline) => {
                generic_timer::set_compare(ns_to_ticks_ceil(deadline, self.hz));
                generic_timer::set_control(CTL_ENABLE);
            }
            None => generic_timer::set_control(0),
        }
    }

    /// Serves one call; `Ok` holds the reply's word count.
    fn serve(&mut self, channel: Channel, msg: MessageInfo) -> Result<usize, Status> {
        let method = Method::try_from(msg.label())?;
        if msg.count() != method.request_words() {
            return Err(Status::BadLength);
        }
        if self.hz == 0 {
            return Err(Status::NoClock);
        }
        let slot = &mut self.deadlines[usize::from(channel.index())];
        match method {
            Method::Now => {
                // Word 0 is below MAX_MESSAGE_WORDS, so this sets it.
                let _ = set_mr(0, self.now());
                Ok(1)
            }
            Method::SetDeadline => {
                if !channel.may_notify() {
                    return Err(Status::NoNotify);
                }
                *slot = Some(get_mr(0).map_err(|_| Status::BadLength)?);
                self.expire_and_arm();
                Ok(0)
            }
            Method::Cancel => {
                *slot = None;
                self.expire_and_arm();
                Ok(0)
            }
        }
    }
}

impl Handler for Timer {
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        match self.serve(channel, msg) {
            Ok(words) => MessageInfo::new(Status::Ok as u64, words),
            Err(status) => MessageInfo::new(status as u64, 0),
        }
    }

    fn notified(&mut self, channels: ChannelSet) {
        if !channels.contains(IRQ) {
            return;
        }
        // Re-armed (the level-sensitive line dropped) before the ack.
        self.expire_and_arm();
        if let Err(e) = IRQ.irq_ack() {
            debug_println!("cannot ack the timer's IRQ, no deadline will be told: {e}");
        }
    }
}
