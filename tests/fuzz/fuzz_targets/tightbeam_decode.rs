//! Tightbeam's decoders and dispatcher on raw bytes of any length, on 512
//! raw bytes, and on encoded requests then damaged: they refuse or accept,
//! never panic; what decodes re-encodes to the same bytes; and the
//! dispatcher answers every message with a well-formed reply.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use tightbeam::buffers::{Digest, Refill};
use tightbeam::indicator::{ClientGone, MinOnTime, SensorRequest};
use tightbeam::echo::{Echo, Transform, TransformKind};
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::*;

/// An echo service that also transforms, so every method's reply path runs.
struct Service;

impl Handler for Service {
    const SERVICE: ServiceId = ServiceId::Echo;

    fn handle<'a>(&mut self, request: Request<'a>, scratch: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::Echo(e) => Ok(Reply::Echo(e)),
            Request::Transform(t) => {
                let out = scratch.take(t.bytes.len()).ok_or(ErrorCode::service(1))?;
                out.copy_from_slice(t.bytes);
                out.get_mut(..usize::from(t.count)).ok_or(ErrorCode::service(2))?.reverse();
                Ok(Reply::Echo(Echo { bytes: out }))
            }
            Request::Hello(_) => Ok(Reply::Hello(HelloReply::EXPECTED)),
            // Never reached: the dispatcher hands an echo service echo's methods only.
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

/// An encoded request from arbitrary values (some the encoder refuses).
fn encoded(u: &mut Unstructured) -> Result<Vec<u8>> {
    let bytes: &[u8] = u.arbitrary()?;
    let kind = *u.choose(&[TransformKind::Upper, TransformKind::Lower, TransformKind::Reverse])?;
    let count = u.arbitrary()?;
    let len = u.arbitrary()?;
    let sensor = SensorRequest { sensor: u32::from(u.arbitrary::<u8>()? % 6), client: len };
    let request = match u.int_in_range(0u8..=7)? {
        0 => Request::Hello(Hello),
        1 => Request::Echo(Echo { bytes }),
        2 => Request::Refill(Refill),
        3 => Request::Digest(Digest { len }),
        4 => Request::SensorStart(sensor),
        5 => Request::MinOnTime(MinOnTime { sensor: sensor.sensor }),
        6 => Request::ClientGone(ClientGone { client: len }),
        _ => Request::Transform(Transform { kind, count, bytes }),
    };
    let mut out = [0u8; MESSAGE_BYTES];
    match encode_request(&request, &mut out) {
        Ok(()) => assert_eq!(decode_request(&Received::copy_from(&out).expect("512 bytes")), Ok(request)),
        Err(_) => assert_eq!(out, [0u8; MESSAGE_BYTES], "a refused encode leaves a message behind"),
    }
    Ok(out.to_vec())
}

fn check(bytes: &[u8]) {
    let message = match Received::copy_from(bytes) {
        Ok(m) => m,
        Err(e) => {
            assert_eq!(e, DecodeError::Length { found: bytes.len() });
            assert_ne!(bytes.len(), MESSAGE_BYTES);
            return;
        }
    };
    if let Ok(request) = decode_request(&message) {
        let mut out = [0u8; MESSAGE_BYTES];
        assert_eq!(encode_request(&request, &mut out), Ok(()));
        assert_eq!(&out[..], bytes, "a decoded request re-encodes to its bytes");
    }
    for call in MethodId::ALL {
        let mut out = [0u8; MESSAGE_BYTES];
        match decode_reply(&message, call) {
            Ok(Ok(reply)) => assert_eq!(encode_reply(call, &reply, &mut out), Ok(())),
            Ok(Err(code)) => error_reply(&message.header(), code, &mut out),
            Err(_) => continue,
        }
        assert_eq!(&out[..], bytes, "a decoded reply re-encodes to its bytes");
    }

    let mut reply = [0xEEu8; MESSAGE_BYTES];
    let mut dispatcher = Dispatcher::new(Service);
    let outcome = dispatcher.dispatch(&message, &mut reply);
    // The services' path (a copy out of the shared page first) answers the same.
    // SAFETY: `bytes` is 512 readable bytes nobody else touches.
    let (shared_outcome, shared_reply) = unsafe { dispatcher.answer_shared(bytes.as_ptr()) };
    assert_eq!((shared_outcome, &shared_reply[..]), (outcome, &reply[..]), "answer_shared differs from dispatch");
    let answer = Received::copy_from(&reply).expect("512 bytes");
    match outcome {
        Outcome::Answered(method) => assert!(matches!(decode_reply(&answer, method), Ok(Ok(_)))),
        Outcome::Failed(method, code) => assert_eq!(decode_reply(&answer, method), Ok(Err(code))),
        Outcome::Refused(error) => {
            let (header, asked) = (answer.header(), message.header());
            assert_eq!((header.service, header.method), (asked.service, asked.method));
            assert_eq!(header.status.get(), error.code().get());
            assert_eq!((header.version.get(), header.flags.get(), header.len.get()), (0, 0, 0));
            assert!(reply[16..].iter().all(|&b| b == 0));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let bytes = match u.int_in_range(0u8..=2) {
        Ok(0) => u.take_rest().to_vec(),
        Ok(1) => {
            let mut m = vec![0u8; MESSAGE_BYTES];
            let rest = u.take_rest();
            let n = rest.len().min(MESSAGE_BYTES);
            m[..n].copy_from_slice(&rest[..n]);
            m
        }
        _ => {
            let Ok(mut m) = encoded(&mut u) else { return };
            // Damage up to eight bytes where the fuzzer says.
            for _ in 0..u.int_in_range(0u8..=8).unwrap_or(0) {
                let (Ok(at), Ok(v)) = (u.int_in_range(0..=MESSAGE_BYTES - 1), u.arbitrary::<u8>()) else { break };
                m[at] = v;
            }
            m
        }
    };
    check(&bytes);
});
