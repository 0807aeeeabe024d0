//! The BUF suite: named buffers (NAMED_BUFFER_CREATE, COPYIN, COPYOUT)
//! against the buffers exclave, which owns `outbound` (it writes a known
//! pattern there on `refill`; XNU maps it read-only) and `inbound` (it
//! hashes what lands there on `digest`). Each test runs in a task of its
//! own, so its handles, and the buffer mapping they hold, go with it.
#![no_std]
#![no_main]

use libsystem::abi::exclaves::*;
use libsystem::abi::kern::*;
use libsystem::abi::layout;
use libsystem::abi::port::{MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE};
use libsystem::mach::{self, KernError, Message};
use libsystem::{exclaves, Args};
use tightbeam::buffers::{fnv1a, pattern, Digest, Refill};
use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request};
use xnu_userland::{ensure, run_case, run_suite_in_tasks, spawn_wait, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("BUF0001", outbound_bytes_arrive),
    ("BUF0002", inbound_bytes_arrive),
    ("BUF0003", a_wrapped_copyin_in_one_call),
    ("BUF0004", a_wrapped_copyout_in_one_call),
    ("BUF0005", create_errors),
    ("BUF0006", an_outbound_buffer_is_not_written),
    ("BUF0007", a_mapped_buffer_keeps_its_perm_and_size),
    ("BUF0008", copy_ranges_are_checked),
    ("BUF0009", handles_of_the_wrong_kind),
    ("BUF0010", handles_go_with_their_task),
    ("BUF0011", handles_stay_in_their_task),
    ("BUF0012", a_deallocated_handle_releases_its_buffer),
    ("BUF0013", the_trap_and_the_fast_call_agree),
];

/// The size of each buffer (system.xml).
const SIZE: usize = 0x4000;

fn main(args: Args) -> i32 {
    match (args.get(1), args.get(2)) {
        (Some("case"), Some(name)) => run_case(TESTS, name),
        (Some("hold"), _) => hold(),
        _ => run_suite_in_tasks("buf", "buftest", TESTS),
    }
}

#[repr(align(8))]
struct Aligned([u8; SIZE]);

fn buffers_service() -> Result<u64, &'static str> {
    exclaves::lookup("buffers").map_err(|_| "no buffers service")
}

/// `refill` on the buffers exclave: the generation now in `outbound`.
fn refill() -> Result<u64, &'static str> {
    let mut m = [0u8; 512];
    encode_request(&Request::Refill(Refill), &mut m).map_err(|_| "refill does not encode")?;
    exclaves::endpoint_call(buffers_service()?, &mut m).map_err(|_| "refill failed")?;
    let r = Received::copy_from(&m).map_err(|_| "not a message")?;
    match decode_reply(&r, MethodId::Refill) {
        Ok(Ok(Reply::Filled(f))) if f.len as usize == SIZE => Ok(f.generation),
        _ => Err("refill answered something else"),
    }
}

/// `digest` of the first `len` bytes of `inbound`, as the exclave sees them.
fn digest(len: usize) -> Result<u64, &'static str> {
    let mut m = [0u8; 512];
    encode_request(&Request::Digest(Digest { len: len as u32 }), &mut m).map_err(|_| "digest does not encode")?;
    exclaves::endpoint_call(buffers_service()?, &mut m).map_err(|_| "digest failed")?;
    let r = Received::copy_from(&m).map_err(|_| "not a message")?;
    match decode_reply(&r, MethodId::Digest) {
        Ok(Ok(Reply::Digest(d))) => Ok(d.digest),
        _ => Err("digest answered something else"),
    }
}

fn create(name: &str, size: usize, perm: u64) -> Result<u32, &'static str> {
    exclaves::buffer_create(name, size as u64, perm).map_err(|_| "NAMED_BUFFER_CREATE failed")
}

/// Bytes no test writes by chance: a function of the offset and `seed`.
fn fill(bytes: &mut [u8], seed: u8) {
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37) ^ (i >> 9) as u8 ^ seed;
    }
}

fn outbound_bytes_arrive() -> Outcome {
    let handle = create("outbound", SIZE, BUFFER_PERM_READ)?;
    for _ in 0..2 {
        let generation = refill()?;
        let mut out = Aligned([0; SIZE]);
        exclaves::buffer_copyout(handle, &mut out.0, (SIZE as u64, 0), (0, 0)).map_err(|_| "COPYOUT failed")?;
        ensure!(out.0.iter().enumerate().all(|(i, &b)| b == pattern(generation, i)), "outbound does not hold the exclave's pattern, byte for byte");
    }
    Ok(())
}

fn inbound_bytes_arrive() -> Outcome {
    let handle = create("inbound", SIZE, BUFFER_PERM_WRITE)?;
    for seed in [0x11, 0xee] {
        let mut data = Aligned([0; SIZE]);
        fill(&mut data.0, seed);
        exclaves::buffer_copyin(handle, &data.0, (SIZE as u64, 0), (0, 0)).map_err(|_| "COPYIN failed")?;
        ensure!(digest(SIZE)? == fnv1a(&data.0), "the exclave does not see the bytes written, byte for byte");
        ensure!(digest(100)? == fnv1a(&data.0[..100]), "a digest of a prefix differs");
    }
    Ok(())
}

/// A ring that wraps: its tail at the end of the buffer, its head at the start.
const TAIL: (u64, u64) = (0x1000, 0x3000);
const HEAD: (u64, u64) = (0x800, 0);

fn a_wrapped_copyin_in_one_call() -> Outcome {
    let handle = create("inbound", SIZE, BUFFER_PERM_READ | BUFFER_PERM_WRITE)?;
    let mut whole = Aligned([0; SIZE]);
    fill(&mut whole.0, 0x5a);
    exclaves::buffer_copyin(handle, &whole.0, (SIZE as u64, 0), (0, 0)).map_err(|_| "COPYIN failed")?;
    // The wrapped write: 0x1000 bytes at 0x3000, then 0x800 at 0.
    let mut ring = [0u8; 0x1800];
    fill(&mut ring, 0xc3);
    exclaves::buffer_copyin(handle, &ring, TAIL, HEAD).map_err(|_| "a two-range COPYIN failed")?;
    whole.0[0x3000..0x4000].copy_from_slice(&ring[..0x1000]);
    whole.0[..0x800].copy_from_slice(&ring[0x1000..]);
    ensure!(digest(SIZE)? == fnv1a(&whole.0), "the wrapped copy did not land at both ranges, and only there");
    Ok(())
}

fn a_wrapped_copyout_in_one_call() -> Outcome {
    let handle = create("outbound", SIZE, BUFFER_PERM_READ)?;
    let generation = refill()?;
    let mut ring = [0u8; 0x1800];
    exclaves::buffer_copyout(handle, &mut ring, TAIL, HEAD).map_err(|_| "a two-range COPYOUT failed")?;
    ensure!(ring[..0x1000].iter().enumerate().all(|(i, &b)| b == pattern(generation, 0x3000 + i)), "range 1 is not the buffer's bytes at 0x3000");
    ensure!(ring[0x1000..].iter().enumerate().all(|(i, &b)| b == pattern(generation, i)), "range 2 is not the buffer's bytes at 0");
    Ok(())
}

/// NAMED_BUFFER_CREATE with arguments from `name`, `handle_out` and so on.
fn raw_create(port: u64, name: u64, out: u64, size: u64, perm: u64) -> u64 {
    exclaves::ctl_all([port, op_word(NAMED_BUFFER_CREATE), name, out, size, perm, 0])
}

fn create_errors() -> Outcome {
    let name = c"outbound";
    let mut handle = 0u32;
    let out = &mut handle as *mut u32 as u64;
    let n = name.as_ptr() as u64;
    let size = SIZE as u64;
    ensure!(raw_create(5, n, out, size, BUFFER_PERM_READ) == KERN_INVALID_CAPABILITY, "a port name was taken");
    ensure!(raw_create(0, c"".as_ptr() as u64, out, size, BUFFER_PERM_READ) == KERN_INVALID_ARGUMENT, "an empty name was taken");
    ensure!(raw_create(0, 0x10, out, size, BUFFER_PERM_READ) == KERN_INVALID_ARGUMENT, "a name at a bad address was taken");
    ensure!(raw_create(0, n, 0x10, size, BUFFER_PERM_READ) == KERN_INVALID_ADDRESS, "a handle went to a bad address");
    ensure!(exclaves::buffer_create("nosuch", size, BUFFER_PERM_READ) == Err(KernError(KERN_NOT_FOUND)), "an unknown buffer was found");
    ensure!(exclaves::buffer_create("echo", size, BUFFER_PERM_READ) == Err(KernError(KERN_NOT_FOUND)), "a service was taken for a buffer");
    for perm in [0, 4, 5, u64::MAX] {
        ensure!(raw_create(0, n, out, size, perm) == KERN_INVALID_ARGUMENT, "a perm other than read and write was taken");
    }
    for bad in [0, SIZE as u64 + 1, 0x10_0000, u64::MAX] {
        ensure!(raw_create(0, n, out, bad, BUFFER_PERM_READ) == KERN_INVALID_ARGUMENT, "a size of 0 or past the buffer was taken");
    }
    ensure!(handle == 0, "a refused create wrote a handle");
    Ok(())
}

fn an_outbound_buffer_is_not_written() -> Outcome {
    ensure!(exclaves::buffer_create("outbound", SIZE as u64, BUFFER_PERM_WRITE) == Err(KernError(KERN_PROTECTION_FAILURE)), "outbound was opened to write");
    ensure!(
        exclaves::buffer_create("outbound", SIZE as u64, BUFFER_PERM_READ | BUFFER_PERM_WRITE) == Err(KernError(KERN_PROTECTION_FAILURE)),
        "outbound was opened to read and write"
    );
    let handle = create("outbound", SIZE, BUFFER_PERM_READ)?;
    let generation = refill()?;
    let junk = [0xffu8; 64];
    ensure!(exclaves::buffer_copyin(handle, &junk, (64, 0), (0, 0)) == Err(KernError(KERN_PROTECTION_FAILURE)), "a COPYIN to outbound was not KERN_PROTECTION_FAILURE");
    let mut out = [0u8; 64];
    exclaves::buffer_copyout(handle, &mut out, (64, 0), (0, 0)).map_err(|_| "COPYOUT failed")?;
    ensure!(out.iter().enumerate().all(|(i, &b)| b == pattern(generation, i)), "outbound changed");
    // And a write-only handle to inbound cannot read.
    let inbound = create("inbound", SIZE, BUFFER_PERM_WRITE)?;
    ensure!(exclaves::buffer_copyout(inbound, &mut out, (64, 0), (0, 0)) == Err(KernError(KERN_PROTECTION_FAILURE)), "a write-only handle read");
    Ok(())
}

fn a_mapped_buffer_keeps_its_perm_and_size() -> Outcome {
    let _first = create("inbound", 0x2000, BUFFER_PERM_WRITE)?;
    ensure!(exclaves::buffer_create("inbound", 0x1000, BUFFER_PERM_WRITE).is_ok(), "the same perm and a smaller size was refused");
    ensure!(exclaves::buffer_create("inbound", 0x1800, BUFFER_PERM_WRITE).is_ok(), "a size within the mapped pages was refused");
    ensure!(exclaves::buffer_create("inbound", 0x2001, BUFFER_PERM_WRITE) == Err(KernError(KERN_INVALID_ARGUMENT)), "a larger size was taken");
    ensure!(
        exclaves::buffer_create("inbound", 0x1000, BUFFER_PERM_READ | BUFFER_PERM_WRITE) == Err(KernError(KERN_INVALID_ARGUMENT)),
        "another perm was taken"
    );
    // Copies stay within the mapped size, not the buffer's.
    let handle = create("inbound", 0x2000, BUFFER_PERM_WRITE)?;
    let bytes = [1u8; 0x100];
    ensure!(exclaves::buffer_copyin(handle, &bytes, (0x100, 0x1f00), (0, 0)).is_ok(), "a copy at the mapping's end was refused");
    ensure!(exclaves::buffer_copyin(handle, &bytes, (0x100, 0x2000), (0, 0)) == Err(KernError(KERN_INVALID_ARGUMENT)), "a copy past the mapping was taken");
    Ok(())
}

fn copy_ranges_are_checked() -> Outcome {
    let handle = create("inbound", SIZE, BUFFER_PERM_READ | BUFFER_PERM_WRITE)?;
    let mut data = Aligned([0; SIZE]);
    fill(&mut data.0, 0x77);
    exclaves::buffer_copyin(handle, &data.0, (SIZE as u64, 0), (0, 0)).map_err(|_| "COPYIN failed")?;
    let before = digest(SIZE)?;
    let buf = data.0.as_ptr() as u64;
    let h = u64::from(handle);
    let copyin = |offset1: u64, buffer: u64, size1: u64, size2: u64, offset2: u64| {
        exclaves::ctl_all([h, op_word(NAMED_BUFFER_COPYIN), offset1, buffer, size1, size2, offset2])
    };
    let size = SIZE as u64;
    let stack_end = layout::STACK.base + layout::STACK.size;
    let refused = [
        (copyin(0, buf, 0, 0, 0), KERN_INVALID_ARGUMENT, "size1 of 0"),
        (copyin(0, 0, 16, 0, 0), KERN_INVALID_ARGUMENT, "a buffer at 0"),
        (copyin(size - 8, buf, 16, 0, 0), KERN_INVALID_ARGUMENT, "range 1 past the end"),
        (copyin(u64::MAX - 4, buf, 16, 0, 0), KERN_INVALID_ARGUMENT, "an offset that overflows"),
        (copyin(0, buf, 16, 16, size - 8), KERN_INVALID_ARGUMENT, "range 2 past the end"),
        (copyin(0, buf, 16, u64::MAX, 0), KERN_INVALID_ARGUMENT, "a size that overflows"),
        (copyin(0, 0x10, 16, 0, 0), KERN_FAILURE, "a task buffer at a bad address"),
        (copyin(0, stack_end - 8, 8, 16, 64), KERN_FAILURE, "range 2's bytes past the task's memory"),
    ];
    for (result, expected, what) in refused {
        if result != expected {
            libsystem::println!("buftest: {what}: kern_return {result:#x}, not {expected:#x}");
            return Err("a bad range was not refused with its kern_return");
        }
    }
    ensure!(digest(SIZE)? == before, "a refused copy changed the buffer");
    Ok(())
}

fn handles_of_the_wrong_kind() -> Outcome {
    let mut out = [0u8; 16];
    let reply = mach::mach_reply_port();
    // The task port is a send right, to no buffer; a reply port is a receive
    // right, which no copy takes; the last is no name at all.
    for (name, expected) in [(mach::task_self(), KERN_INVALID_CAPABILITY), (reply, KERN_INVALID_NAME), (0x7777_0003, KERN_INVALID_NAME)] {
        ensure!(exclaves::buffer_copyout(name, &mut out, (16, 0), (0, 0)) == Err(KernError(expected)), "a name that is no buffer handle was taken");
    }
    Ok(())
}

/// `buftest hold`: takes a handle to inbound (one page, write only) and exits.
fn hold() -> i32 {
    match exclaves::buffer_create("inbound", 0x1000, BUFFER_PERM_WRITE) {
        Ok(_) => 0,
        Err(e) => e.0 as i32,
    }
}

fn handles_go_with_their_task() -> Outcome {
    for _ in 0..3 {
        ensure!(spawn_wait("buftest", &["buftest", "hold"])? == 0, "the holder did not get its handle");
    }
    // Its one-page write-only mapping went with it: another perm and the whole size map.
    let handle = create("inbound", SIZE, BUFFER_PERM_READ | BUFFER_PERM_WRITE)?;
    let mut out = [0u8; 16];
    exclaves::buffer_copyout(handle, &mut out, (16, SIZE as u64 - 16), (0, 0)).map_err(|_| "the new mapping does not reach the buffer's end")?;
    Ok(())
}

fn handles_stay_in_their_task() -> Outcome {
    let handle = create("outbound", SIZE, BUFFER_PERM_READ)?;
    let port = mach::port_allocate(mach::task_self(), MACH_PORT_RIGHT_RECEIVE).map_err(|_| "port_allocate failed")?;
    let mut message = Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, b"x");
    message.header.local_port = handle;
    message.header.bits |= MACH_MSG_TYPE_COPY_SEND << 8;
    ensure!(mach::send(&message).is_err(), "a message carried a buffer handle");
    ensure!(mach::send(&Message::new(handle, MACH_MSG_TYPE_COPY_SEND, 1, b"x")).is_err(), "a message was sent to a buffer handle");
    let mut out = [0u8; 16];
    exclaves::buffer_copyout(handle, &mut out, (16, 0), (0, 0)).map_err(|_| "the handle stopped working")?;
    Ok(())
}

fn a_deallocated_handle_releases_its_buffer() -> Outcome {
    let first = create("inbound", 0x1000, BUFFER_PERM_WRITE)?;
    ensure!(exclaves::buffer_create("inbound", SIZE as u64, BUFFER_PERM_WRITE) == Err(KernError(KERN_INVALID_ARGUMENT)), "a larger size was taken while mapped");
    mach::port_deallocate(mach::task_self(), first).map_err(|_| "mach_port_deallocate of the handle failed")?;
    let bytes = [0u8; 16];
    ensure!(exclaves::buffer_copyin(first, &bytes, (16, 0), (0, 0)) == Err(KernError(KERN_INVALID_NAME)), "a deallocated handle still copies");
    // Its one-page mapping went with it.
    let whole = create("inbound", SIZE, BUFFER_PERM_READ | BUFFER_PERM_WRITE)?;
    let mut out = [0u8; 16];
    exclaves::buffer_copyout(whole, &mut out, (16, SIZE as u64 - 16), (0, 0)).map_err(|_| "the new mapping does not reach the buffer's end")?;
    Ok(())
}

/// libSystem copies as the fast call; the trap gives the same bytes, and
/// the fast call refuses what the trap refuses.
fn the_trap_and_the_fast_call_agree() -> Outcome {
    let handle = create("outbound", SIZE, BUFFER_PERM_READ)?;
    refill()?;
    let (mut fast, mut trap) = (Aligned([0; SIZE]), Aligned([0; SIZE]));
    exclaves::buffer_copyout(handle, &mut fast.0[..0x1800], TAIL, HEAD).map_err(|_| "the fast COPYOUT failed")?;
    exclaves::buffer_copyout_trap(handle, &mut trap.0[..0x1800], TAIL, HEAD).map_err(|_| "the trap's COPYOUT failed")?;
    ensure!(fast.0 == trap.0, "the fast call and the trap copied different bytes");
    let mut out = [0u8; 32];
    ensure!(exclaves::buffer_copyout(handle, &mut out, (0, 0), (0, 0)) == Err(KernError(KERN_INVALID_ARGUMENT)), "a fast copy of size 0 was taken");
    ensure!(exclaves::buffer_copyout(handle, &mut out, (32, SIZE as u64 - 16), (0, 0)) == Err(KernError(KERN_INVALID_ARGUMENT)), "a fast copy past the end was taken");
    ensure!(exclaves::buffer_copyin(handle, &out, (32, 0), (0, 0)) == Err(KernError(KERN_PROTECTION_FAILURE)), "a fast COPYIN to outbound was taken");
    let words = [u64::from(handle), out.as_mut_ptr() as u64, 32];
    ensure!(libsystem::fast_call(libsystem::abi::fast::BUFFER_COPYOUT, &words) == KERN_INVALID_ARGUMENT, "a fast copy of three words was taken");
    Ok(())
}
