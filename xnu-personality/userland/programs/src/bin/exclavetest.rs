//! The EXCL suite (sel4test-style lines): `exclaves_ctl` from a task of
//! the darwin domain with no entitlements (and, where a check needs one,
//! from `testchild`, entitled to boot and to the kernel domain), against
//! the exclave services of the default system. Run it from the shell.
#![no_std]
#![no_main]

use libsystem::abi::exclaves::*;
use libsystem::abi::kern::*;
use libsystem::abi::{layout, wait};
use libsystem::mach::KernError;
use libsystem::{bsd, exclaves, Args};
use tightbeam::echo::{Echo, Transform, TransformKind};
use tightbeam::{decode_reply, encode_request, ErrorCode, MethodId, Received, Reply, Request, PAYLOAD_MAX};

use xnu_userland::{ensure, run_suite, spawn_wait, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("EXCL0001", lookup_in_own_domain),
    ("EXCL0002", kernel_domain_needs_the_entitlement),
    ("EXCL0003", lookup_errors),
    ("EXCL0004", boot_needs_privilege),
    ("EXCL0005", boot_twice),
    ("EXCL0006", flags_are_refused),
    ("EXCL0007", unknown_ops),
    ("EXCL0008", launch_needs_a_conclave),
    ("EXCL0009", echo_round_trip_of_every_byte),
    ("EXCL0010", call_size_must_be_512),
    ("EXCL0011", call_id_below_192),
    ("EXCL0012", call_outside_the_domain),
    ("EXCL0013", hello_from_an_entitled_task),
    ("EXCL0014", call_bad_buffers),
    ("EXCL0015", malformed_messages_answered),
    ("EXCL0016", transform),
    ("EXCL0017", the_table_lists_every_resource),
    ("EXCL0018", list_errors),
    ("EXCL0019", a_refused_call_leaves_the_buffer),
    ("EXCL0020", a_reply_writes_exactly_512_bytes),
    ("EXCL0022", the_trap_and_the_fast_call_agree),
    ("EXCL0023", hostile_fast_calls_are_refused),
    ("EXCL0024", a_task_cannot_pass_for_an_entitled_program),
];

fn main(args: Args) -> i32 {
    match args.get(1) {
        Some("probe") => probe(),
        _ => run_suite("excl", TESTS),
    }
}

/// `exclavetest probe` (EXCL0024, spawned as if it were testchild): what
/// XNU answers this unentitled program's kernel-domain lookup and BOOT.
/// Exit 0 only for KERN_NOT_FOUND and KERN_DENIED.
fn probe() -> i32 {
    let lookup = exclaves::lookup("hello");
    let boot = exclaves::boot(STAGE_EXCLAVEKIT);
    match (lookup, boot) {
        (Err(KernError(KERN_NOT_FOUND)), Err(KernError(KERN_DENIED))) => 0,
        (Ok(_), _) => 1,
        (_, Ok(())) => 2,
        _ => 3,
    }
}

/// Runs `testchild ARGS...`: its exit code.
fn child(args: &[&str]) -> Result<u32, &'static str> {
    let status = spawn_wait("testchild", args)?;
    ensure!(wait::is_exited(status), "testchild was killed");
    Ok(wait::exit_code(status))
}

fn raw(op_flags: u64, id: u64, buffer: u64, size: u64) -> u64 {
    exclaves::ctl(op_flags, id, buffer, size)
}

fn lookup_in_own_domain() -> Outcome {
    ensure!(exclaves::lookup("echo") == Ok(0), "echo is not id 0 in darwin");
    Ok(())
}

fn kernel_domain_needs_the_entitlement() -> Outcome {
    ensure!(exclaves::lookup("hello") == Err(KernError(KERN_NOT_FOUND)), "an unentitled task found a kernel-domain service");
    ensure!(child(&["testchild", "exlookup", "hello"])? == 1, "the kernel-domain task did not find hello (id 1)");
    ensure!(child(&["testchild", "exlookup", "echo"])? == 0, "the kernel-domain task lost its own domain's echo");
    Ok(())
}

fn lookup_errors() -> Outcome {
    ensure!(exclaves::lookup("nonesuch") == Err(KernError(KERN_NOT_FOUND)), "an unknown name was found");
    let mut record = [0u8; LOOKUP_RECORD_BYTES as usize];
    record[..4].copy_from_slice(b"echo");
    let at = record.as_mut_ptr() as u64;
    ensure!(raw(op_word(LOOKUP_SERVICES), 0, at, 100) == KERN_INVALID_ARGUMENT, "a short record was accepted");
    let mut unterminated = [b'e'; LOOKUP_RECORD_BYTES as usize];
    ensure!(raw(op_word(LOOKUP_SERVICES), 0, unterminated.as_mut_ptr() as u64, LOOKUP_RECORD_BYTES) == KERN_INVALID_ARGUMENT, "a name with no NUL was accepted");
    ensure!(raw(op_word(LOOKUP_SERVICES), 0, 0x10, LOOKUP_RECORD_BYTES) == KERN_INVALID_ADDRESS, "a bad record pointer is not KERN_INVALID_ADDRESS");
    ensure!(raw(op_word(LOOKUP_SERVICES), 0, layout::RODATA.base, LOOKUP_RECORD_BYTES) == KERN_INVALID_ADDRESS, "a read-only record is not KERN_INVALID_ADDRESS");
    Ok(())
}

fn boot_needs_privilege() -> Outcome {
    ensure!(exclaves::boot(STAGE_EXCLAVECORE) == Err(KernError(KERN_DENIED)), "an unentitled task booted");
    ensure!(exclaves::boot(STAGE_EXCLAVEKIT) == Err(KernError(KERN_DENIED)), "an unentitled task raised the stage");
    Ok(())
}

fn boot_twice() -> Outcome {
    let core = child(&["testchild", "exboot", "0"])?;
    ensure!(u64::from(core) == KERN_INVALID_ARGUMENT, "a second EXCLAVECORE is not KERN_INVALID_ARGUMENT");
    let kit = child(&["testchild", "exboot", "100"])?;
    ensure!(u64::from(kit) == KERN_INVALID_ARGUMENT, "a second EXCLAVEKIT is not KERN_INVALID_ARGUMENT");
    ensure!(u64::from(child(&["testchild", "exboot", "7"])?) == KERN_INVALID_ARGUMENT, "an unknown stage is not KERN_INVALID_ARGUMENT");
    ensure!(exclaves::lookup("echo") == Ok(0), "the repeated boots disturbed the table");
    Ok(())
}

fn flags_are_refused() -> Outcome {
    for op in [ENDPOINT_CALL, BOOT, LOOKUP_SERVICES, SENSOR_START] {
        for flags in [1u64, 0x80, 0x00ff_ffff] {
            ensure!(raw(op_word(op) | flags, 0, 0, 0) == KERN_INVALID_ARGUMENT, "non-zero flags are not KERN_INVALID_ARGUMENT");
        }
    }
    Ok(())
}

fn unknown_ops() -> Outcome {
    for op in [0u64, 16, 100, 255] {
        ensure!(raw(op_word(op), 0, 0, 0) == KERN_INVALID_ARGUMENT, "an unknown op is not KERN_INVALID_ARGUMENT");
    }
    ensure!(raw(op_word(LOOKUP_SERVICES) | 1 << 40, 0, 0, 0) == KERN_INVALID_ARGUMENT, "bits above the 32-bit argument were accepted");
    Ok(())
}

fn launch_needs_a_conclave() -> Outcome {
    ensure!(raw(op_word(LAUNCH_CONCLAVE), 0, 0, 0) == KERN_INVALID_ARGUMENT, "LAUNCH_CONCLAVE from a task attached to none is not KERN_INVALID_ARGUMENT");
    Ok(())
}

/// An echo request of `bytes`, encoded.
fn echo_request(bytes: &[u8]) -> Result<[u8; 512], &'static str> {
    let mut m = [0u8; 512];
    encode_request(&Request::Echo(Echo { bytes }), &mut m).map_err(|_| "the request does not encode")?;
    Ok(m)
}

fn echo_round_trip_of_every_byte() -> Outcome {
    let mut payload = [0u8; PAYLOAD_MAX];
    for (i, b) in payload.iter_mut().enumerate() {
        *b = (i as u8) ^ 0xa5;
    }
    let mut m = echo_request(&payload)?;
    let sent = m;
    exclaves::endpoint_call(0, &mut m).map_err(|_| "ENDPOINT_CALL to echo failed")?;
    let r = Received::copy_from(&m).map_err(|_| "the reply is not a message")?;
    ensure!(matches!(decode_reply(&r, MethodId::Echo), Ok(Ok(Reply::Echo(e))) if e.bytes == payload), "echo did not return all its bytes");
    // The whole reply but the header is the request's payload, byte for byte.
    ensure!(m[16..] == sent[16..], "the reply's payload differs from the request's");
    Ok(())
}

fn call_size_must_be_512() -> Outcome {
    let mut m = echo_request(b"x")?;
    for size in [0u64, 511, 513, 4096] {
        ensure!(raw(op_word(ENDPOINT_CALL), 0, m.as_mut_ptr() as u64, size) == KERN_INVALID_ARGUMENT, "a buffer not of 512 bytes is not KERN_INVALID_ARGUMENT");
    }
    Ok(())
}

fn call_id_below_192() -> Outcome {
    let mut m = echo_request(b"x")?;
    for id in [192u64, 193, 1000, u64::MAX] {
        ensure!(exclaves::endpoint_call(id, &mut m) == Err(KernError(KERN_INVALID_ARGUMENT)), "an id of 192 or more is not KERN_INVALID_ARGUMENT");
    }
    Ok(())
}

fn call_outside_the_domain() -> Outcome {
    let mut m = echo_request(b"x")?;
    // hello is id 1 of the kernel domain: not in darwin's set.
    ensure!(exclaves::endpoint_call(1, &mut m) == Err(KernError(KERN_INVALID_ARGUMENT)), "a darwin task called a kernel-domain service");
    ensure!(exclaves::endpoint_call(7, &mut m) == Err(KernError(KERN_INVALID_ARGUMENT)), "an id with no service was called");
    Ok(())
}

fn hello_from_an_entitled_task() -> Outcome {
    ensure!(child(&["testchild", "exhello"])? == 0, "the kernel-domain task's hello call did not get the known value");
    Ok(())
}

fn call_bad_buffers() -> Outcome {
    for at in [0x10u64, 0xffff_0000_0000_0000, layout::TEXT.base, layout::STACK.end() - 100] {
        ensure!(raw(op_word(ENDPOINT_CALL), 0, at, MESSAGE_BYTES) == KERN_INVALID_ADDRESS, "a bad buffer is not KERN_INVALID_ADDRESS");
    }
    Ok(())
}

fn malformed_messages_answered() -> Outcome {
    let damages: [(usize, u8, ErrorCode); 5] = [
        (6, 1, ErrorCode::FLAGS),
        (300, 0xff, ErrorCode::PADDING),
        (2, 9, ErrorCode::UNKNOWN_METHOD),
        (4, 7, ErrorCode::VERSION),
        (0, 0x7f, ErrorCode::UNKNOWN_SERVICE),
    ];
    for (at, value, code) in damages {
        let mut m = echo_request(b"abcd")?;
        m[at] = value;
        exclaves::endpoint_call(0, &mut m).map_err(|_| "a malformed message's call failed in XNU")?;
        let status = u32::from_le_bytes([m[12], m[13], m[14], m[15]]);
        ensure!(status == code.get(), "a malformed message did not get its error code");
    }
    let mut m = [0xffu8; 512];
    exclaves::endpoint_call(0, &mut m).map_err(|_| "a garbage message's call failed in XNU")?;
    ensure!(u32::from_le_bytes([m[12], m[13], m[14], m[15]]) != 0, "garbage got a success reply");
    // And echo serves on.
    echo_round_trip_of_every_byte()
}

fn transform() -> Outcome {
    let mut m = [0u8; 512];
    let t = Request::Transform(Transform { kind: TransformKind::Reverse, count: 4, bytes: b"abcdef" });
    encode_request(&t, &mut m).map_err(|_| "encode failed")?;
    exclaves::endpoint_call(0, &mut m).map_err(|_| "ENDPOINT_CALL failed")?;
    let r = Received::copy_from(&m).map_err(|_| "not a message")?;
    ensure!(matches!(decode_reply(&r, MethodId::Transform), Ok(Ok(Reply::Echo(e))) if e.bytes == b"dcbaef"), "transform did not reverse its first four bytes");
    Ok(())
}

fn the_table_lists_every_resource() -> Outcome {
    let mut table = [exclaves::Resource::default(); 16];
    let n = exclaves::list(&mut table).map_err(|_| "the table did not list")?;
    ensure!(n == 14, "the table does not hold the manifests' fourteen resources");
    let n = n.min(table.len());
    let found = |domain: &str, name: &str, kind: &str, id: u64| {
        table[..n].iter().any(|r| r.domain() == domain && r.name() == name && r.kind_name() == kind && r.id == id && r.connected)
    };
    ensure!(
        found("darwin", "echo", "SERVICE", 0) && found("kernel", "hello", "SERVICE", 1) && found("darwin", "buffers", "SERVICE", 2),
        "the listed services are not the manifests'"
    );
    ensure!(
        found("darwin", "outbound", "SHARED_MEMORY", 3) && found("darwin", "inbound", "SHARED_MEMORY", 4),
        "the listed buffers are not the manifests'"
    );
    ensure!(found("darwin", "mic", "SENSOR", 5) && found("darwin", "cam", "SENSOR", 6), "the listed sensors are not the manifests'");
    ensure!(found("darwin", "mic_audio", "ARBITRATED_AUDIO_MEMORY", 7), "the audio buffer is not listed");
    ensure!(found("darwin", "keys", "SERVICE", 8), "the key service is not listed");
    ensure!(found("darwin", "storage", "SERVICE", 9), "the storage service is not listed");
    ensure!(found("darwin", "sensor_events", "NOTIFICATION", 12), "the sensors' notification is not listed");
    ensure!(found("kernel", "conclave.demo", "CONCLAVE_MANAGER", 2), "the demo conclave's manager is not listed");
    ensure!(found("conclave.demo", "demo", "SERVICE", 20) && found("conclave.demo", "events", "NOTIFICATION", 21), "the demo conclave's domain is not listed");
    Ok(())
}

fn list_errors() -> Outcome {
    let list = |addr: u64, len: u64| libsystem::bsd_trap(libsystem::abi::bsd::EXCLAVES_LIST, [addr, len, 0, 0, 0, 0]);
    ensure!(list(0x10, 500) == Err(libsystem::Errno(libsystem::abi::errno::EFAULT)), "a bad list buffer is not EFAULT");
    ensure!(list(layout::RODATA.base, 500) == Err(libsystem::Errno(libsystem::abi::errno::EFAULT)), "a read-only list buffer is not EFAULT");
    // Room for one record: the count is still the table's, one record written.
    let mut one = [0u8; LIST_RECORD_BYTES + 10];
    ensure!(list(one.as_mut_ptr() as u64, one.len() as u64) == Ok(14), "a short buffer did not get the count");
    ensure!(one[LIST_RECORD_BYTES..].iter().all(|&b| b == 0), "a record was written past the buffer's whole records");
    Ok(())
}

fn a_refused_call_leaves_the_buffer() -> Outcome {
    let mut m = echo_request(b"keep me")?;
    let before = m;
    ensure!(exclaves::endpoint_call(192, &mut m).is_err() && exclaves::endpoint_call(1, &mut m).is_err(), "a refused call succeeded");
    ensure!(m == before, "a refused call changed the caller's buffer");
    Ok(())
}

fn a_reply_writes_exactly_512_bytes() -> Outcome {
    // The message between two guard runs: the reply lands in its 512 bytes only.
    let mut area = [0x77u8; 512 + 64];
    let request = echo_request(b"guarded")?;
    area[32..544].copy_from_slice(&request);
    let at = area[32..].as_mut_ptr() as u64;
    ensure!(raw(op_word(ENDPOINT_CALL), 0, at, MESSAGE_BYTES) == KERN_SUCCESS, "the guarded call failed");
    ensure!(area[..32].iter().chain(&area[544..]).all(|&b| b == 0x77), "the reply wrote outside the message");
    let r = Received::copy_from(&area[32..544]).map_err(|_| "not a message")?;
    ensure!(matches!(decode_reply(&r, MethodId::Echo), Ok(Ok(Reply::Echo(e))) if e.bytes == b"guarded"), "the guarded echo lost its bytes");
    Ok(())
}

/// ENDPOINT_CALL through the exclaves_ctl trap (as raw svc code makes it)
/// and through libSystem's fast call give the same reply, byte for byte.
fn the_trap_and_the_fast_call_agree() -> Outcome {
    let payload: [u8; 496] = core::array::from_fn(|i| (i as u8).wrapping_mul(29) ^ 0x3c);
    let mut by_trap = echo_request(&payload)?;
    let mut by_fast_call = by_trap;
    exclaves::endpoint_call_trap(0, &mut by_trap).map_err(|_| "the trap's ENDPOINT_CALL failed")?;
    exclaves::endpoint_call(0, &mut by_fast_call).map_err(|_| "the fast call's ENDPOINT_CALL failed")?;
    ensure!(by_trap == by_fast_call, "the trap and the fast call got different replies");
    let r = Received::copy_from(&by_trap).map_err(|_| "the reply is not a message")?;
    ensure!(matches!(decode_reply(&r, MethodId::Echo), Ok(Ok(Reply::Echo(e))) if e.bytes == payload), "echo did not return all its bytes");
    Ok(())
}

/// Fast calls no libSystem makes: other labels, other word counts, a bad
/// buffer or size. Each is refused with its kern_return, and XNU serves on.
fn hostile_fast_calls_are_refused() -> Outcome {
    use libsystem::abi::fast;
    let mut m = echo_request(b"x")?;
    let buffer = m.as_mut_ptr() as u64;
    for label in [0u64, 2, 99, (1 << 52) - 1] {
        ensure!(libsystem::fast_call(label, &[0, buffer, 512]) == KERN_INVALID_ARGUMENT, "a fast call of another label was not refused");
    }
    for words in [&[][..], &[0, buffer][..], &[0, buffer, 512, 0][..]] {
        ensure!(libsystem::fast_call(fast::ENDPOINT_CALL, words) == KERN_INVALID_ARGUMENT, "a fast ENDPOINT_CALL of other than 3 words was not refused");
    }
    ensure!(libsystem::fast_call(fast::ENDPOINT_CALL, &[0, 0, 512]) == KERN_INVALID_ADDRESS, "a fast ENDPOINT_CALL at address 0 was not KERN_INVALID_ADDRESS");
    ensure!(libsystem::fast_call(fast::ENDPOINT_CALL, &[0, buffer, 100]) == KERN_INVALID_ARGUMENT, "a fast ENDPOINT_CALL of 100 bytes was not refused");
    ensure!(libsystem::fast_call(fast::ENDPOINT_CALL, &[1, buffer, 512]) == KERN_INVALID_ARGUMENT, "a fast ENDPOINT_CALL reached a service outside the domain");
    // And the real call still works.
    echo_round_trip_of_every_byte()
}

/// Entitlements go with the program XNU loaded, by its name in the boot
/// filesystem: no other spelling of an entitled program's name loads, and
/// an unentitled program given the entitled one's argv[0] gets nothing of
/// its entitlements.
fn a_task_cannot_pass_for_an_entitled_program() -> Outcome {
    use libsystem::abi::errno::ENOENT;
    for name in ["testchild/", "./testchild", "/testchild", "testchild ", "Testchild", "testchild.elf", "testchil"] {
        ensure!(bsd::posix_spawn(name, &["testchild", "exboot", "0"], None) == Err(libsystem::Errno(ENOENT)), "a misspelt program name loaded something");
    }
    let status = spawn_wait("exclavetest", &["testchild", "probe"])?;
    ensure!(wait::is_exited(status), "the probe was killed");
    match wait::exit_code(status) {
        0 => Ok(()),
        1 => Err("an unentitled program named testchild looked up the kernel domain"),
        2 => Err("an unentitled program named testchild booted a stage"),
        _ => Err("an unentitled program named testchild got other answers than KERN_NOT_FOUND and KERN_DENIED"),
    }
}
