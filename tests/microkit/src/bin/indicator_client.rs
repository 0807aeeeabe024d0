//! MK0017 (with exclave-indicator and the timer): a client in XNU's place
//! judges the indicator controller: statuses by its policy, starts counted
//! per client, a stop without a start refused, a gone client's starts
//! stopped, a sensor outside 1-4 refused, and the minimum on time: the
//! deadline after the last stop is that stop plus 3.1 s, and it reads 0
//! once the timer says the counter has passed it. The indicator's own
//! lines (`indicator: on`, then `off` once the minimum time is out) are
//! the system's `expect:` lines.
#![no_std]
#![no_main]

use microkit_examples::{ensure, report};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};
use tightbeam::indicator::{ClientGone, MinOnTime, SensorRequest};
use tightbeam::{decode_reply, encode_request, ErrorCode, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, PAGE_BYTES};

const INDICATOR: Channel = Channel::new(1);
const TIMER: Channel = Channel::new(2);
/// The keeper, told once the verdict is out.
const KEEPER: Channel = Channel::new(3);
const CAM: u32 = 1;
const MIC: u32 = 2;
const FACE_ID: u32 = 3;
const ALLOWED: u32 = 1;
const CONTROL: u32 = 3;
const MIN_ON_NS: u64 = 3_100_000_000;

protection_domain!(init);

type Outcome = Result<(), &'static str>;

fn endpoint() -> Result<Endpoint, &'static str> {
    let page = memory_region_symbol!(indicator_page, PAGE_BYTES).map_err(|_| "no message page")?;
    Endpoint::new(INDICATOR, page).map_err(|_| "the message page is too small")
}

/// One request: the reply, or the error code it was refused with.
fn ask(ep: &Endpoint, request: &Request<'_>) -> Result<Result<u64, ErrorCode>, &'static str> {
    let mut bytes = [0u8; MESSAGE_BYTES];
    encode_request(request, &mut bytes).map_err(|_| "the request does not encode")?;
    let mut reply = [0u8; MESSAGE_BYTES];
    ep.call(&bytes, &mut reply).map_err(|_| "the call failed")?;
    let received = Received::copy_from(&reply).map_err(|_| "the reply is not a message")?;
    Ok(match decode_reply(&received, request.method()).map_err(|_| "the reply does not decode")? {
        Ok(Reply::Sensor(s)) => Ok(u64::from(s.status)),
        Ok(Reply::MinOnTime(m)) => Ok(m.deadline),
        Ok(_) => Ok(0),
        Err(code) => Err(code),
    })
}

fn start(ep: &Endpoint, sensor: u32, client: u32) -> Result<Result<u64, ErrorCode>, &'static str> {
    ask(ep, &Request::SensorStart(SensorRequest { sensor, client }))
}

fn stop(ep: &Endpoint, sensor: u32, client: u32) -> Result<Result<u64, ErrorCode>, &'static str> {
    ask(ep, &Request::SensorStop(SensorRequest { sensor, client }))
}

fn min_on(ep: &Endpoint, sensor: u32) -> Result<u64, &'static str> {
    ask(ep, &Request::MinOnTime(MinOnTime { sensor }))?.map_err(|_| "MinOnTime was refused")
}

fn now() -> Result<u64, &'static str> {
    timer_client::now(TIMER).map_err(|_| "the timer did not answer")
}

/// Everything up to the waits; returns the later deadline (the camera's).
fn first_part(ep: &Endpoint) -> Result<u64, &'static str> {
    ensure(start(ep, MIC, 1)? == Ok(u64::from(ALLOWED)), "the microphone did not start ALLOWED")?;
    ensure(start(ep, MIC, 2)? == Ok(u64::from(ALLOWED)), "a second client's start did not report ALLOWED")?;
    ensure(ask(ep, &Request::SensorStatus(SensorRequest { sensor: FACE_ID, client: 0 }))? == Ok(u64::from(CONTROL)), "Face ID is not CONTROL")?;
    ensure(stop(ep, MIC, 1)?.is_ok(), "client 1's stop failed")?;
    ensure(min_on(ep, MIC)? == 0, "a deadline while client 2 still holds a start")?;
    ensure(stop(ep, MIC, 1)? == Err(ErrorCode::service(3)), "a stop without a start of that client's was taken")?;
    let before = now()?;
    ensure(stop(ep, MIC, 2)?.is_ok(), "the last stop failed")?;
    let after = now()?;
    let deadline = min_on(ep, MIC)?;
    ensure(deadline >= before + MIN_ON_NS && deadline <= after + MIN_ON_NS, "the deadline is not the last stop plus 3.1 s")?;
    // A client that goes takes its starts with it.
    ensure(start(ep, CAM, 5)?.is_ok(), "the camera did not start")?;
    ensure(ask(ep, &Request::ClientGone(ClientGone { client: 5 }))?.is_ok(), "ClientGone was refused")?;
    ensure(stop(ep, CAM, 5)? == Err(ErrorCode::service(3)), "a gone client's start survived")?;
    let cam_deadline = min_on(ep, CAM)?;
    ensure(cam_deadline >= deadline, "a gone client's delivering camera left no minimum on time")?;
    // Sensor 0 does not decode.
    let mut bad = [0u8; MESSAGE_BYTES];
    encode_request(&Request::SensorStart(SensorRequest { sensor: MIC, client: 1 }), &mut bad).map_err(|_| "encode failed")?;
    bad[16] = 0;
    let mut reply = [0u8; MESSAGE_BYTES];
    ep.call(&bad, &mut reply).map_err(|_| "the call failed")?;
    let header = Received::copy_from(&reply).map_err(|_| "not a message")?.header();
    ensure(header.status.get() == ErrorCode::BAD_ENUM.get(), "sensor 0 was not refused as BAD_ENUM")?;
    Ok(cam_deadline)
}

struct Client {
    deadline: Option<u64>,
}

fn init() -> Client {
    let deadline = endpoint().and_then(|ep| first_part(&ep)).and_then(|d| {
        timer_client::set_deadline(TIMER, d).map_err(|_| "the timer took no deadline")?;
        Ok(d)
    });
    match deadline {
        Ok(d) => Client { deadline: Some(d) },
        Err(why) => {
            report("MK0017", "the indicator controller's sensors and minimum on time", Err(why));
            let _ = KEEPER.notify();
            Client { deadline: None }
        }
    }
}

impl Handler for Client {
    fn notified(&mut self, channels: ChannelSet) {
        let Some(deadline) = self.deadline.take() else { return };
        let result: Outcome = (|| {
            ensure(channels.contains(TIMER), "a notification other than the timer's")?;
            ensure(now()? >= deadline, "the timer woke us before the deadline")?;
            let ep = endpoint()?;
            ensure(min_on(&ep, MIC)? == 0 && min_on(&ep, CAM)? == 0, "a deadline is past and still reported")
        })();
        report("MK0017", "the indicator controller's sensors and minimum on time", result);
        let _ = KEEPER.notify();
    }
}
