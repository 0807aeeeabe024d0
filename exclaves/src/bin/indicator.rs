//! The indicator controller exclave: it owns the sensors' state
//! (`sensor-state`) and the privacy indicator, and answers XNU's sensor
//! requests (tightbeam `indicator`). XNU can only ask.
//!
//! - **The indicator device is simulated** (`sim_indicator`, a page only
//!   this PD maps): word 0 is 1 while the indicator is on, word 1 counts
//!   its changes, and each change is also printed (`indicator: on`,
//!   `indicator: off`), which is how tests observe it.
//! - **Consent** is this exclave's, not XNU's: the policy below, built in
//!   (the camera and microphone are allowed; the Face ID cameras are the
//!   exclave side's to drive, CONTROL to XNU).
//! - **Audio** XNU reads only through this controller: on each
//!   AUDIO_BUFFER_COPYOUT it fills the arbitrated buffer's ranges with the
//!   audio exclave's samples while the microphone delivers, zeros otherwise.
//! - **Events** go to XNU's tasks (the `sensor_events` NOTIFICATION): a
//!   sensor starting or stopping delivering, the indicator turning on or
//!   off, counted in a page XNU reads (`tightbeam::events`), then XNU
//!   notified on channel 2.
//! - **Time** is the counter the timer PD keeps time by, read here as it
//!   reads it. After a stop the controller asks the timer for a
//!   notification at the end of the minimum on time, and decides off from
//!   the counter then: a late notification keeps the indicator on longer, a
//!   spurious one changes nothing.
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, ChannelSet, Handler, MemoryRegion, MessageInfo};
use sensor_state::{Consent, SensorKind, Sensors, Status};
use tightbeam::indicator::{Done, MinOnTimeReply, SensorReply};
use tightbeam::{Dispatcher, ErrorCode, Reply, Request, Scratch, ServiceId};
use tightbeam_channel::{serve, PAGE_BYTES};

protection_domain!(init);

/// XNU's channel (its message page is `tightbeam_page_0`) and the timer's.
const XNU: Channel = Channel::new(0);
const TIMER: Channel = Channel::new(1);
/// XNU again, notified of events.
const EVENTS: Channel = Channel::new(2);

/// The policy, in `SensorKind::ALL`'s order.
const POLICY: [Consent; 4] = [Consent::Allow, Consent::Allow, Consent::Control, Consent::Control];

/// A request this controller cannot serve now (no time from the timer).
const NO_TIME: ErrorCode = ErrorCode::service(1);
/// More clients or starts than it keeps.
const FULL: ErrorCode = ErrorCode::service(2);
/// A stop without a start of that client's.
const NOT_STARTED: ErrorCode = ErrorCode::service(3);
/// An audio range past the buffer, or no audio buffers in this system.
const NO_AUDIO: ErrorCode = ErrorCode::service(4);

/// The audio buffers' size (system.xml): the simulated microphone's
/// samples, and the arbitrated buffer XNU maps read-only.
const AUDIO_BYTES: usize = 0x4000;
/// Bytes moved per copy between the two.
const CHUNK: usize = 0x400;

struct Controller {
    sensors: Sensors,
    device: Option<MemoryRegion>,
    /// The audio exclave's samples (read-only here) and the arbitrated
    /// buffer XNU reads: real samples reach it only while the microphone
    /// delivers.
    audio: Option<(MemoryRegion, MemoryRegion)>,
    on: bool,
    changes: u64,
    /// The events page XNU reads, its counts, and what each sensor
    /// delivered when they were last counted.
    events: Option<MemoryRegion>,
    counts: [u64; tightbeam::events::EVENTS],
    delivering: [bool; 4],
    /// The off time the timer was last asked to wake us at.
    armed: Option<u64>,
}

impl Controller {
    /// The indicator as the sensors say at `now`, shown on the device; and
    /// the timer asked to wake us when it may next turn off.
    fn show(&mut self, now: u64) {
        let mut moved = false;
        for (i, kind) in SensorKind::ALL.into_iter().enumerate() {
            let delivering = self.sensors.delivering(kind);
            if delivering != self.delivering[i] {
                self.delivering[i] = delivering;
                self.counts[i] += 1;
                moved = true;
            }
        }
        let on = self.sensors.indicator_on(now);
        if on != self.on {
            self.counts[tightbeam::indicator::EVENT_INDICATOR] += 1;
            moved = true;
            self.on = on;
            self.changes += 1;
            if let Some(device) = &self.device {
                let _ = device.write_u64(0, u64::from(on));
                let _ = device.write_u64(8, self.changes);
            }
            // The runtime prefixes the PD's name: `indicator: on`.
            debug_println!("{}", if on { "on" } else { "off" });
        }
        if moved {
            self.tell_xnu();
        }
        // Asked again only for a new time: each ask is a call to the timer.
        let off = self.sensors.next_off(now);
        if off.is_some() && off != self.armed {
            if let Some(at) = off {
                self.armed = timer_client::set_deadline(TIMER, at).ok().map(|()| at);
            }
        }
    }
}

impl Controller {
    /// The counts into the events page, then XNU notified (a system
    /// without the page or channel has no one to tell).
    fn tell_xnu(&self) {
        let Some(page) = &self.events else { return };
        for (i, count) in self.counts.iter().enumerate() {
            let _ = page.write_u64(8 * i, *count);
        }
        let _ = EVENTS.notify();
    }

    /// AUDIO_BUFFER_COPYOUT's arbitration: both ranges of the arbitrated
    /// buffer get the microphone's samples if it delivers, zeros if not.
    fn audio_copy(&self, ranges: [(u32, u32); 2]) -> Result<Status, ErrorCode> {
        let (samples, arbitrated) = self.audio.ok_or(NO_AUDIO)?;
        for (size, offset) in ranges {
            let end = (offset as usize).checked_add(size as usize).ok_or(NO_AUDIO)?;
            if end > AUDIO_BYTES {
                return Err(NO_AUDIO);
            }
        }
        let deliver = self.sensors.delivering(SensorKind::Mic);
        let mut chunk = [0u8; CHUNK];
        for (size, offset) in ranges {
            let (mut at, end) = (offset as usize, offset as usize + size as usize);
            while at < end {
                let n = CHUNK.min(end - at);
                if deliver {
                    samples.read(at, &mut chunk[..n]).map_err(|_| NO_AUDIO)?;
                } else {
                    chunk[..n].fill(0);
                }
                arbitrated.write(at, &chunk[..n]).map_err(|_| NO_AUDIO)?;
                at += n;
            }
        }
        Ok(self.sensors.status(SensorKind::Mic))
    }
}

/// The counter in nanoseconds, as the timer PD reads it (the same
/// register; no call needed): `None` if its frequency reads 0.
fn now() -> Option<u64> {
    let hz = generic_timer::frequency();
    (hz != 0).then(|| generic_timer::ticks_to_ns(generic_timer::counter(), hz))
}

fn kind(sensor: u32) -> Result<SensorKind, ErrorCode> {
    // The decoder checked 1..=4.
    SensorKind::from_u32(sensor).ok_or(ErrorCode::INTERNAL)
}

fn reply(status: Status) -> SensorReply {
    SensorReply { status: status as u32 }
}

impl tightbeam::Handler for Controller {
    const SERVICE: ServiceId = ServiceId::Indicator;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        let now = now().ok_or(NO_TIME)?;
        let refused = |e| match e {
            sensor_state::Error::NotStarted => NOT_STARTED,
            _ => FULL,
        };
        let answer = match request {
            Request::SensorStart(r) => Reply::Sensor(reply(self.sensors.start(kind(r.sensor)?, r.client).map_err(refused)?)),
            Request::SensorStop(r) => Reply::Sensor(reply(self.sensors.stop(kind(r.sensor)?, r.client, now).map_err(refused)?)),
            Request::SensorStatus(r) => Reply::Sensor(reply(self.sensors.status(kind(r.sensor)?))),
            Request::MinOnTime(r) => Reply::MinOnTime(MinOnTimeReply { deadline: self.sensors.min_on_deadline(kind(r.sensor)?, now) }),
            Request::AudioCopy(c) => Reply::Sensor(reply(self.audio_copy(c.ranges)?)),
            Request::ClientGone(r) => {
                self.sensors.client_gone(r.client, now);
                Reply::Done(Done)
            }
            // The dispatcher hands this handler the indicator's methods only.
            _ => return Err(ErrorCode::INTERNAL),
        };
        self.show(now);
        Ok(answer)
    }
}

struct Indicator {
    dispatcher: Dispatcher<Controller>,
    page: Option<MemoryRegion>,
}

impl Handler for Indicator {
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        match (&self.page, channel == XNU) {
            (Some(page), true) => serve(&mut self.dispatcher, page, msg).0,
            _ => MessageInfo::new(tightbeam_channel::BAD_CALL, 0),
        }
    }

    fn notified(&mut self, channels: ChannelSet) {
        if channels.contains(TIMER) {
            let controller = self.dispatcher.handler_mut();
            // The timer told its deadline: none is armed now.
            controller.armed = None;
            if let Some(now) = now() {
                controller.show(now);
            }
        }
    }
}

fn init() -> Indicator {
    let device = memory_region_symbol!(sim_indicator, PAGE_BYTES).ok();
    // Nanoseconds: the timer's unit.
    let samples = memory_region_symbol!(audio_samples, AUDIO_BYTES).ok();
    let arbitrated = memory_region_symbol!(audio_arbitrated, AUDIO_BYTES).ok();
    let audio = samples.zip(arbitrated);
    let events = memory_region_symbol!(events_page, PAGE_BYTES).ok();
    let controller = Controller {
        sensors: Sensors::new(POLICY, 1_000_000_000),
        device,
        audio,
        on: false,
        changes: 0,
        events,
        counts: [0; tightbeam::events::EVENTS],
        delivering: [false; 4],
        armed: None,
    };
    let page = memory_region_symbol!(tightbeam_page_0, PAGE_BYTES).ok();
    Indicator { dispatcher: Dispatcher::new(controller), page }
}
