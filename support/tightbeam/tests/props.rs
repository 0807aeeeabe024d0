//! Property tests over the public API: any bytes decode to a value or an
//! error without panicking, what decodes re-encodes to the same bytes,
//! encoding then decoding is the identity, and damaged headers are refused.

use proptest::prelude::*;
use tightbeam::buffers::{Digest, DigestReply, Filled, Refill};
use tightbeam::echo::{Echo, Transform, TransformKind, TRANSFORM_BYTES_MAX};
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::indicator::{AudioCopy, ClientGone, Done, MinOnTime, MinOnTimeReply, SensorReply, SensorRequest};
use tightbeam::{
    decode_reply, decode_request, encode_reply, encode_request, error_reply, MethodId, Received, Reply, Request,
    MESSAGE_BYTES, PAYLOAD_MAX,
};

/// A request with its bytes owned, so a strategy can make one.
#[derive(Debug, Clone)]
enum Owned {
    Hello,
    Echo(Vec<u8>),
    Transform(TransformKind, u16, Vec<u8>),
    Refill,
    Digest(u32),
    /// Start (0), stop (1) or status (2) of a sensor for a client.
    Sensor(u8, u32, u32),
    MinOnTime(u32),
    ClientGone(u32),
    AudioCopy([(u32, u32); 2]),
}

impl Owned {
    fn request(&self) -> Request<'_> {
        match self {
            Owned::Hello => Request::Hello(Hello),
            Owned::Echo(b) => Request::Echo(Echo { bytes: b }),
            Owned::Transform(kind, count, b) => Request::Transform(Transform { kind: *kind, count: *count, bytes: b }),
            Owned::Refill => Request::Refill(Refill),
            Owned::Digest(len) => Request::Digest(Digest { len: *len }),
            Owned::Sensor(which, sensor, client) => {
                let r = SensorRequest { sensor: *sensor, client: *client };
                match which {
                    0 => Request::SensorStart(r),
                    1 => Request::SensorStop(r),
                    _ => Request::SensorStatus(r),
                }
            }
            Owned::MinOnTime(sensor) => Request::MinOnTime(MinOnTime { sensor: *sensor }),
            Owned::ClientGone(client) => Request::ClientGone(ClientGone { client: *client }),
            Owned::AudioCopy(ranges) => Request::AudioCopy(AudioCopy { ranges: *ranges }),
        }
    }
}

fn kind() -> impl Strategy<Value = TransformKind> {
    prop_oneof![Just(TransformKind::Upper), Just(TransformKind::Lower), Just(TransformKind::Reverse)]
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        Just(Owned::Hello),
        prop::collection::vec(any::<u8>(), 0..=PAYLOAD_MAX).prop_map(Owned::Echo),
        (kind(), prop::collection::vec(any::<u8>(), 0..=TRANSFORM_BYTES_MAX), any::<u16>()).prop_map(
            |(k, b, c)| {
                let count = c % (b.len() as u16 + 1);
                Owned::Transform(k, count, b)
            }
        ),
        Just(Owned::Refill),
        any::<u32>().prop_map(Owned::Digest),
        (0u8..3, 1u32..=4, any::<u32>()).prop_map(|(w, s, c)| Owned::Sensor(w, s, c)),
        (1u32..=4).prop_map(Owned::MinOnTime),
        any::<u32>().prop_map(Owned::ClientGone),
        any::<[(u32, u32); 2]>().prop_map(Owned::AudioCopy),
    ]
}

fn encoded(request: &Request<'_>) -> [u8; MESSAGE_BYTES] {
    let mut out = [0; MESSAGE_BYTES];
    assert_eq!(encode_request(request, &mut out), Ok(()));
    out
}

fn received(bytes: &[u8; MESSAGE_BYTES]) -> Received {
    match Received::copy_from(bytes) {
        Ok(r) => r,
        Err(e) => panic!("512 bytes refused: {e}"),
    }
}

/// Header fields near and far from valid, a random body, padding usually zero.
fn near_valid() -> impl Strategy<Value = [u8; MESSAGE_BYTES]> {
    let small16 = || prop_oneof![3 => 0u16..4, 1 => any::<u16>()];
    (
        (small16(), small16(), small16()),
        prop_oneof![4 => Just(0u16), 1 => any::<u16>()],
        prop_oneof![4 => 0u32..=500, 1 => any::<u32>()],
        prop_oneof![3 => Just(0u32), 1 => 0u32..20, 1 => any::<u32>()],
        prop::collection::vec(any::<u8>(), PAYLOAD_MAX),
        prop_oneof![4 => Just(true), 1 => Just(false)],
    )
        .prop_map(|((service, method, version), flags, len, status, body, zero_padding)| {
            let mut m = [0u8; MESSAGE_BYTES];
            m[0..2].copy_from_slice(&service.to_le_bytes());
            m[2..4].copy_from_slice(&method.to_le_bytes());
            m[4..6].copy_from_slice(&version.to_le_bytes());
            m[6..8].copy_from_slice(&flags.to_le_bytes());
            m[8..12].copy_from_slice(&len.to_le_bytes());
            m[12..16].copy_from_slice(&status.to_le_bytes());
            m[16..].copy_from_slice(&body);
            if zero_padding {
                let end = 16 + (len as usize).min(PAYLOAD_MAX);
                m[end..].fill(0);
            }
            m
        })
}

/// Any 512 bytes: near-valid ones, valid ones with a few bytes overwritten, raw noise.
fn any_message() -> impl Strategy<Value = [u8; MESSAGE_BYTES]> {
    prop_oneof![
        near_valid(),
        (owned(), prop::collection::vec((0..MESSAGE_BYTES, any::<u8>()), 0..4)).prop_map(|(o, damage)| {
            let mut m = encoded(&o.request());
            for (at, v) in damage {
                m[at] = v;
            }
            m
        }),
        prop::collection::vec(any::<u8>(), MESSAGE_BYTES).prop_map(|v| {
            let mut m = [0u8; MESSAGE_BYTES];
            m.copy_from_slice(&v);
            m
        }),
    ]
}

/// The success reply a service would send to `o`.
fn success_reply(o: &Owned, call: MethodId) -> [u8; MESSAGE_BYTES] {
    let reply = match o {
        Owned::Hello => Reply::Hello(HelloReply::EXPECTED),
        Owned::Echo(b) | Owned::Transform(_, _, b) => Reply::Echo(Echo { bytes: b }),
        Owned::Refill => Reply::Filled(Filled { generation: 7, len: 0x4000 }),
        Owned::Digest(len) => Reply::Digest(DigestReply { digest: u64::from(*len) * 3 }),
        Owned::Sensor(_, sensor, _) => Reply::Sensor(SensorReply { status: *sensor }),
        Owned::MinOnTime(sensor) => Reply::MinOnTime(MinOnTimeReply { deadline: u64::from(*sensor) << 40 }),
        Owned::ClientGone(_) => Reply::Done(Done),
        Owned::AudioCopy(r) => Reply::Sensor(SensorReply { status: r[0].0 }),
    };
    let mut out = [0; MESSAGE_BYTES];
    assert_eq!(encode_reply(call, &reply, &mut out), Ok(()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_bytes_decode_or_fail_and_what_decodes_reencodes_identically(bytes in any_message()) {
        let message = received(&bytes);
        if let Ok(request) = decode_request(&message) {
            prop_assert_eq!(encoded(&request), bytes);
        }
        for call in MethodId::ALL {
            let mut out = [0; MESSAGE_BYTES];
            match decode_reply(&message, call) {
                Ok(Ok(reply)) => prop_assert_eq!(encode_reply(call, &reply, &mut out), Ok(())),
                Ok(Err(code)) => error_reply(&message.header(), code, &mut out),
                Err(_) => continue,
            }
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn only_512_bytes_are_a_message(len in 0usize..1200) {
        let bytes = vec![0u8; len];
        prop_assert_eq!(Received::copy_from(&bytes).is_ok(), len == MESSAGE_BYTES);
    }

    #[test]
    fn encode_then_decode_is_the_identity(o in owned()) {
        let request = o.request();
        let bytes = encoded(&request);
        let message = received(&bytes);
        prop_assert_eq!(decode_request(&message), Ok(request));
        let call = request.method();
        let reply_bytes = success_reply(&o, call);
        let reply_message = received(&reply_bytes);
        let reply = decode_reply(&reply_message, call);
        match (&o, reply) {
            (Owned::Hello, Ok(Ok(Reply::Hello(h)))) => prop_assert_eq!(h, HelloReply::EXPECTED),
            (Owned::Echo(b) | Owned::Transform(_, _, b), Ok(Ok(Reply::Echo(e)))) => prop_assert_eq!(e.bytes, &b[..]),
            (Owned::Refill, Ok(Ok(Reply::Filled(f)))) => prop_assert_eq!(f, Filled { generation: 7, len: 0x4000 }),
            (Owned::Digest(len), Ok(Ok(Reply::Digest(d)))) => prop_assert_eq!(d.digest, u64::from(*len) * 3),
            (Owned::Sensor(_, sensor, _), Ok(Ok(Reply::Sensor(r)))) => prop_assert_eq!(r.status, *sensor),
            (Owned::MinOnTime(sensor), Ok(Ok(Reply::MinOnTime(r)))) => prop_assert_eq!(r.deadline, u64::from(*sensor) << 40),
            (Owned::ClientGone(_), Ok(Ok(Reply::Done(_)))) => {}
            (Owned::AudioCopy(r), Ok(Ok(Reply::Sensor(s)))) => prop_assert_eq!(s.status, r[0].0),
            (_, other) => prop_assert!(false, "reply to {:?} decoded as {:?}", call, other),
        }
    }

    #[test]
    fn a_flipped_header_bit_is_refused_not_misread(o in owned(), bit in 0usize..128) {
        let request = o.request();
        let original = encoded(&request);
        let mut flipped = original;
        flipped[bit / 8] ^= 1 << (bit % 8);
        let in_len = (64..96).contains(&bit);
        let flipped_message = received(&flipped);
        match decode_request(&flipped_message) {
            Err(_) => {}
            Ok(decoded) => {
                // Only the length can move and still decode, and only over
                // zero bytes of a variable-length payload: then the decoded
                // value is exactly what the damaged bytes state.
                prop_assert!(in_len, "bit {} flipped and {:?} decoded", bit, decoded);
                prop_assert!(matches!(request.method(), MethodId::Echo | MethodId::Transform));
                let old = u32::from_le_bytes([original[8], original[9], original[10], original[11]]) as usize;
                let new = u32::from_le_bytes([flipped[8], flipped[9], flipped[10], flipped[11]]) as usize;
                prop_assert!(original[16 + old.min(new)..16 + old.max(new)].iter().all(|&b| b == 0));
                prop_assert_eq!(encoded(&decoded), flipped);
            }
        }
        // A success reply's header outside its length has no bit to spare either.
        let call = request.method();
        let mut reply = success_reply(&o, call);
        if !in_len {
            reply[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(decode_reply(&received(&reply), call).is_err(), "reply bit {} flipped and decoded", bit);
        }
    }
}
