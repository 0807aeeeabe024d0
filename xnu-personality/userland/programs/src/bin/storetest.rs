//! The STORE suite, its key-service part (exclaves part 3 adds storage):
//! keys derived by the key service, through ENDPOINT_CALL, are
//! deterministic, differ per identity, and are refused for an identity the
//! service's policy does not allow; no method reaches the secret.
#![no_std]
#![no_main]

use libsystem::{exclaves, Args};
use tightbeam::keys::{Derive, KEY_BYTES};
use tightbeam::{decode_reply, encode_request, ErrorCode, MethodId, Received, Reply, Request, MESSAGE_BYTES};
use xnu_userland::{ensure, run_suite, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("STORE0001", derivation_is_deterministic),
    ("STORE0002", keys_differ_per_identity),
    ("STORE0003", identities_outside_the_policy_are_refused),
    ("STORE0004", no_method_but_derive),
];

/// The key service's refusal of an identity its policy does not allow.
const NOT_ALLOWED: ErrorCode = ErrorCode::service(1);

fn main(_: Args) -> i32 {
    run_suite("store", TESTS)
}

fn keys() -> Result<u64, &'static str> {
    exclaves::lookup("keys").map_err(|_| "no key service")
}

/// The key for `identity`, or the service's refusal.
fn derive(identity: &[u8]) -> Result<Result<[u8; KEY_BYTES], ErrorCode>, &'static str> {
    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Derive(Derive { identity }), &mut m).map_err(|_| "the request does not encode")?;
    exclaves::endpoint_call(keys()?, &mut m).map_err(|_| "ENDPOINT_CALL failed")?;
    let r = Received::copy_from(&m).map_err(|_| "not a message")?;
    match decode_reply(&r, MethodId::Derive) {
        Ok(Ok(Reply::Key(k))) => Ok(Ok(k.key)),
        Ok(Err(code)) => Ok(Err(code)),
        _ => Err("the reply does not decode"),
    }
}

fn key(identity: &[u8]) -> Result<[u8; KEY_BYTES], &'static str> {
    derive(identity)?.map_err(|_| "an allowed identity was refused")
}

fn derivation_is_deterministic() -> Outcome {
    let first = key(b"task:alpha")?;
    ensure!(first != [0; KEY_BYTES], "the key is all zeros");
    ensure!(key(b"task:alpha")? == first, "two derivations for one identity differ");
    Ok(())
}

fn keys_differ_per_identity() -> Outcome {
    let (a, b, v) = (key(b"task:alpha")?, key(b"task:beta")?, key(b"vm:default")?);
    ensure!(a != b && a != v && b != v, "two identities got one key");
    Ok(())
}

fn identities_outside_the_policy_are_refused() -> Outcome {
    for identity in [&b"vm:other"[..], b"root", b"task", b"Task:alpha", b"vm:default2"] {
        ensure!(derive(identity)? == Err(NOT_ALLOWED), "an identity outside the policy got a key");
    }
    // Malformed: an empty identity, and one past 64 bytes, sent raw.
    for len in [0u32, 65] {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(&Request::Derive(Derive { identity: b"task:x" }), &mut m).map_err(|_| "encode failed")?;
        m[8..12].copy_from_slice(&len.to_le_bytes());
        m[16..16 + 65].fill(b'a');
        if len == 0 {
            m[16..16 + 65].fill(0);
        }
        exclaves::endpoint_call(keys()?, &mut m).map_err(|_| "ENDPOINT_CALL failed")?;
        let status = u32::from_le_bytes([m[12], m[13], m[14], m[15]]);
        ensure!(status == ErrorCode::PAYLOAD_SIZE.get(), "a malformed identity was not refused as PAYLOAD_SIZE");
    }
    Ok(())
}

/// The service's only method is Derive: every other method number of its
/// service is refused, so nothing can ask it for the secret.
fn no_method_but_derive() -> Outcome {
    for method in (0u16..16).filter(|&n| n != 1) {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(&Request::Derive(Derive { identity: b"task:x" }), &mut m).map_err(|_| "encode failed")?;
        m[2..4].copy_from_slice(&method.to_le_bytes());
        exclaves::endpoint_call(keys()?, &mut m).map_err(|_| "ENDPOINT_CALL failed")?;
        let status = u32::from_le_bytes([m[12], m[13], m[14], m[15]]);
        ensure!(status == ErrorCode::UNKNOWN_METHOD.get(), "another method of the key service answered");
    }
    Ok(())
}
