//! The STORE suite, in-guest part: keys derived by the key service are
//! deterministic, differ per identity, and are refused for an identity the
//! service's policy does not allow, and no method reaches the secret;
//! secure storage puts, gets and removes values of every size, refuses what
//! is malformed, and serves several tasks at once. (Its sessions in
//! tests/store/ boot the same drives again: persistence, replay, tampering.)
#![no_std]
#![no_main]

use libsystem::abi::wait;
use libsystem::{bsd, exclaves, Args};
use tightbeam::keys::{Derive, KEY_BYTES};
use tightbeam::storage::{refusal, Key, Put};
use tightbeam::{decode_reply, encode_request, ErrorCode, MethodId, Received, Reply, Request, MESSAGE_BYTES};
use xnu_userland::store::{Store, StoreError, VALUE_MAX};
use xnu_userland::{ensure, run_case, run_suite_in_tasks, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("STORE0001", derivation_is_deterministic),
    ("STORE0002", keys_differ_per_identity),
    ("STORE0003", identities_outside_the_policy_are_refused),
    ("STORE0004", no_method_but_derive),
    ("STORE0005", values_of_every_size_round_trip),
    ("STORE0006", keys_are_independent),
    ("STORE0007", unknown_and_removed_keys_are_not_found),
    ("STORE0008", malformed_requests_are_refused),
    ("STORE0009", several_tasks_store_at_once),
    ("STORE0010", no_method_but_put_get_remove),
];

/// Tasks STORE0009 runs at once.
const WORKERS: usize = 3;

/// The key service's refusal of an identity its policy does not allow.
const NOT_ALLOWED: ErrorCode = ErrorCode::service(1);

fn main(args: Args) -> i32 {
    match (args.get(1), args.get(2)) {
        (Some("case"), Some(name)) => run_case(TESTS, name),
        (Some("worker"), Some(n)) => worker(n),
        _ => run_suite_in_tasks("store", "storetest", TESTS),
    }
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

fn store() -> Result<Store, &'static str> {
    Store::open().map_err(|e| e.describe())
}

/// Byte `i` of a value for `key` at `version`: any misplaced byte shows.
fn pattern(key: u8, version: u64, i: usize) -> u8 {
    (i as u64).wrapping_mul(31).wrapping_add(u64::from(key) * 7 + version * 13) as u8
}

fn values_of_every_size_round_trip() -> Outcome {
    let s = store()?;
    let mut value = [0u8; VALUE_MAX];
    let mut back = [0u8; VALUE_MAX];
    let mut last = None;
    for (round, len) in [0usize, 1, 511, 512, 4096, VALUE_MAX].into_iter().enumerate() {
        for (i, b) in value[..len].iter_mut().enumerate() {
            *b = pattern(b's', round as u64, i);
        }
        let version = s.put(b"sizes", &value[..len]).map_err(|e| e.describe())?;
        ensure!(last.is_none_or(|v| version == v + 1), "versions do not rise by one per put");
        last = Some(version);
        back.fill(0xEE);
        let (got, got_version) = s.get(b"sizes", &mut back).map_err(|e| e.describe())?;
        ensure!(got == len && got_version == version, "a get gave another length or version");
        ensure!(back[..len] == value[..len], "a value came back changed");
    }
    Ok(())
}

fn keys_are_independent() -> Outcome {
    let s = store()?;
    s.put(b"alpha", b"first value").map_err(|e| e.describe())?;
    s.put(b"beta", b"second value").map_err(|e| e.describe())?;
    let mut out = [0u8; 64];
    let (n, _) = s.get(b"alpha", &mut out).map_err(|e| e.describe())?;
    ensure!(&out[..n] == b"first value", "alpha changed when beta was stored");
    s.remove(b"alpha").map_err(|e| e.describe())?;
    let (n, _) = s.get(b"beta", &mut out).map_err(|e| e.describe())?;
    ensure!(&out[..n] == b"second value", "beta changed when alpha was removed");
    s.remove(b"beta").map_err(|e| e.describe())?;
    Ok(())
}

fn unknown_and_removed_keys_are_not_found() -> Outcome {
    let s = store()?;
    let not_found = Err(StoreError::Refused(refusal::NOT_FOUND));
    let mut out = [0u8; 16];
    ensure!(s.get(b"never stored", &mut out).map(|_| ()) == not_found, "an unknown key was found");
    ensure!(s.remove(b"never stored").map(|_| ()) == not_found, "an unknown key was removed");
    let v1 = s.put(b"brief", b"x").map_err(|e| e.describe())?;
    ensure!(s.remove(b"brief") == Ok(v1), "a remove did not name the last version");
    ensure!(s.get(b"brief", &mut out).map(|_| ()) == not_found, "a removed key was found");
    ensure!(s.remove(b"brief").map(|_| ()) == not_found, "a key was removed twice");
    let v2 = s.put(b"brief", b"y").map_err(|e| e.describe())?;
    ensure!(v2 > v1, "a key's versions started again after a remove");
    s.remove(b"brief").map_err(|e| e.describe())?;
    Ok(())
}

/// The status of the storage service's reply to the raw message `m`.
fn raw_status(m: &mut [u8; MESSAGE_BYTES]) -> Result<u32, &'static str> {
    let id = exclaves::lookup("storage").map_err(|_| "no storage service")?;
    exclaves::endpoint_call(id, m).map_err(|_| "ENDPOINT_CALL failed")?;
    Ok(u32::from_le_bytes([m[12], m[13], m[14], m[15]]))
}

fn malformed_requests_are_refused() -> Outcome {
    // A length past the buffers.
    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Put(Put { len: VALUE_MAX as u32 + 1, key: b"k" }), &mut m).map_err(|_| "encode failed")?;
    ensure!(raw_status(&mut m)? == refusal::TOO_LARGE.get(), "a value past 16 KiB was not refused as too large");
    // Keys of 0 and 65 bytes, stated raw.
    for len in [0u32, 65] {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(&Request::Get(Key { key: b"k" }), &mut m).map_err(|_| "encode failed")?;
        m[8..12].copy_from_slice(&len.to_le_bytes());
        m[16..16 + 65].fill(if len == 0 { 0 } else { b'k' });
        ensure!(raw_status(&mut m)? == ErrorCode::PAYLOAD_SIZE.get(), "a malformed key was not refused as PAYLOAD_SIZE");
    }
    // Another service's message on the storage service's id.
    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&Request::Derive(Derive { identity: b"task:x" }), &mut m).map_err(|_| "encode failed")?;
    ensure!(raw_status(&mut m)? == ErrorCode::UNKNOWN_SERVICE.get(), "another service's request was not refused");
    // And the service serves on.
    let s = store()?;
    s.put(b"after", b"still here").map_err(|e| e.describe())?;
    s.remove(b"after").map_err(|e| e.describe())?;
    Ok(())
}

fn no_method_but_put_get_remove() -> Outcome {
    for method in (0u16..16).filter(|n| ![1, 2, 4].contains(n)) {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(&Request::Get(Key { key: b"k" }), &mut m).map_err(|_| "encode failed")?;
        m[2..4].copy_from_slice(&method.to_le_bytes());
        ensure!(raw_status(&mut m)? == ErrorCode::UNKNOWN_METHOD.get(), "another method of the storage service answered");
    }
    Ok(())
}

/// STORE0009: tasks that store at once each get their own values back: XNU
/// queues their calls behind the one whose upcalls it serves, and moves
/// each caller's value within its own call.
fn several_tasks_store_at_once() -> Outcome {
    let mut pids = [0u64; WORKERS];
    let names = ["0", "1", "2"];
    for (pid, n) in pids.iter_mut().zip(names) {
        *pid = bsd::posix_spawn("storetest", &["storetest", "worker", n], None).map_err(|_| "a spawn failed")?;
    }
    for pid in pids {
        let (_, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
        ensure!(wait::is_exited(status) && wait::exit_code(status) == 0, "a worker's values were not its own (its line says why)");
    }
    Ok(())
}

/// A worker of STORE0009: puts and gets its own key ten times, and checks
/// what it reads against what it wrote.
fn worker(n: &str) -> i32 {
    let key = [b'w', n.as_bytes().first().copied().unwrap_or(b'?')];
    let run = || -> Outcome {
        let s = store()?;
        let mut out = [0u8; 64];
        for round in 0..10u8 {
            let value = [key[1], round, b'!'];
            s.put(&key, &value).map_err(|e| e.describe())?;
            let (len, _) = s.get(&key, &mut out).map_err(|e| e.describe())?;
            ensure!(out[..len] == value, "a worker read another value than it wrote");
        }
        s.remove(&key).map_err(|e| e.describe())?;
        Ok(())
    };
    match run() {
        Ok(()) => 0,
        Err(why) => {
            libsystem::println!("storetest worker {n}: {why}");
            1
        }
    }
}
