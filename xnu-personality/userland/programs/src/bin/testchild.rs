//! The XNU suite's child task: `testchild MODE ARGS...` does one thing
//! the suite (its parent) then judges by how it ended.
#![no_std]
#![no_main]

use core::arch::asm;

use libsystem::abi::{bsd as nr, layout, port};
use libsystem::{bsd, exclaves, mach, println, Args, Errno};
use xnu_userland::parse_i64;

libsystem::entry!(main);

/// Initialised data and bss: a fresh image has them as built.
static mut DATA: u64 = 0x5eed;
static mut BSS: [u64; 64] = [0; 64];

fn arg(args: &Args, i: usize) -> i64 {
    args.get(i).and_then(parse_i64).unwrap_or(0)
}

fn main(args: Args) -> i32 {
    match args.get(1).unwrap_or("") {
        "exit" => arg(&args, 2) as i32,
        "pid" => (bsd::getpid() & 0xff) as i32,
        // SAFETY (each fault below): the access faults by design; XNU kills us.
        // Page 0 is never mapped in a task.
        "segv" => unsafe { core::ptr::dangling::<u64>().read_volatile() as i32 },
        "wtext" => unsafe {
            (main as *const () as *mut u64).write_volatile(0);
            0
        },
        "undef" => unsafe {
            asm!("udf #0");
            0
        },
        "align" => unsafe {
            // Exclusive loads must be aligned, whatever SCTLR.A says.
            let p = core::ptr::addr_of_mut!(BSS) as u64 + 1;
            let v: u64;
            asm!("ldxr {v}, [{p}]", p = in(reg) p, v = out(reg) v);
            v as i32
        },
        "x7" => hostile_x7(arg(&args, 2) as u64, arg(&args, 3) as u64),
        // Tries to attach PROGRAM to the demo conclave, which this program
        // is not entitled to: 100 + the errno (0 if it was let).
        "attach" => attach(args.get(2).unwrap_or("concltest")),
        "raw16" => raw_x16(),
        "fresh" => fresh(),
        "args" => {
            let expected = ["testchild", "args", "one", "two words", ""];
            let ok = args.len() == expected.len() && args.iter().zip(expected).all(|(a, e)| a == e);
            if ok { 0 } else { 1 }
        }
        "spin" => loop {
            core::hint::spin_loop();
        },
        "sleep" => {
            let _ = mach::sleep_ms(arg(&args, 2) as u64);
            0
        }
        "block" => {
            let port = mach::mach_reply_port();
            let mut m = mach::Message::default();
            let _ = mach::receive(&mut m, port, None);
            3
        }
        "msg" => message(&args),
        "orphan" => match bsd::posix_spawn("testchild", &["testchild", "sleep", "300"], None) {
            Ok(_) => 0,
            Err(_) => 1,
        },
        "tid" => (bsd::thread_selfid() == arg(&args, 2) as u64) as i32,
        "ports" => fill_port_space(),
        // Entitled to boot and to the kernel domain (manifests/entitlements.toml).
        "exboot" => exclaves::boot(arg(&args, 2) as u64).err().map_or(0, |e| e.0 as i32),
        "exlookup" => match exclaves::lookup(args.get(2).unwrap_or("")) {
            Ok(id) => id as i32,
            Err(e) => 100 + e.0 as i32,
        },
        // Not entitled to read the indicator's deadlines: the kern_return.
        "exminon" => exclaves::min_on_time().err().map_or(0, |e| e.0 as i32),
        "exhello" => hello_probe(args.get(2).and_then(parse_i64)),
        "zombies" => fill_task_table(),
        "read" => read_line(),
        _ => 100,
    }
}

/// `svc` with x7 = `x7` (no libSystem hint) and x0 = `x0`; x16 asks for
/// getpid. Whatever seL4 makes of it, we are either resumed (exit 0) or
/// killed; XNU and every other task must carry on.
fn hostile_x7(x7: u64, x0: u64) -> i32 {
    // SAFETY: a trap whose effects reach only this task's own CSpace and
    // XNU's checked trap path.
    unsafe { asm!("svc #0x80", inout("x0") x0 => _, in("x7") x7, in("x16") nr::GETPID, out("x1") _, out("x2") _, out("x3") _, out("x4") _, out("x5") _, out("x6") _) };
    0
}

/// Calls the kernel domain's hello service: 0 if it answers its known value.
/// Calls hello, at `id` if given (no lookup first), else the id a lookup
/// finds: exit 0 for its known value.
fn hello_probe(id: Option<i64>) -> i32 {
    use tightbeam::hello::{Hello, HelloReply};
    use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request};
    let id = match id {
        Some(id) => id as u64,
        None => match exclaves::lookup("hello") {
            Ok(id) => id,
            Err(_) => return 1,
        },
    };
    let mut message = [0u8; 512];
    if encode_request(&Request::Hello(Hello), &mut message).is_err() || exclaves::endpoint_call(id, &mut message).is_err() {
        return 2;
    }
    match Received::copy_from(&message).map(|r| matches!(decode_reply(&r, MethodId::Hello), Ok(Ok(Reply::Hello(v))) if v == HelloReply::EXPECTED)) {
        Ok(true) => 0,
        _ => 3,
    }
}

/// Allocates ports until XNU refuses; exits with how many hundreds it took
/// (the space's bound, 1024 names, less the task port's).
fn fill_port_space() -> i32 {
    let mut n = 0;
    while mach::mach_reply_port() != 0 {
        n += 1;
        if n > 100_000 {
            return 255;
        }
    }
    // Still alive, and XNU still answers.
    if bsd::getpid() == 0 {
        return 254;
    }
    n / 100
}

/// Spawns children that exit and never reaps them, until XNU refuses with
/// EAGAIN: exits 0 then (its zombies go to launchd), 1 if it never did.
fn fill_task_table() -> i32 {
    for _ in 0..1000 {
        match bsd::posix_spawn("testchild", &["testchild", "exit", "0"], None) {
            Ok(_) => {
                // Let it exit before the next, so slots stay free.
                let _ = mach::sleep_ms(1);
            }
            Err(e) if e == Errno(libsystem::abi::errno::EAGAIN) => return 0,
            Err(_) => return 2,
        }
    }
    1
}

/// Reads the console up to a newline (each read blocks until some input
/// comes) and says what it got.
fn read_line() -> i32 {
    println!("testchild: type a line");
    let mut line = [0u8; 128];
    let mut len = 0;
    while len < line.len() {
        match bsd::read(0, &mut line[len..]) {
            Ok(n) if n > 0 => len += n,
            _ => return 1,
        }
        if let Some(end) = line[..len].iter().position(|&b| b == b'\r' || b == b'\n') {
            let text = core::str::from_utf8(&line[..end]).unwrap_or("?");
            println!("testchild read a line of {end} bytes: {text}");
            return 0;
        }
    }
    1
}

/// getpid with the number in x16 only (x7 = 0, no hint): XNU must read x16.
fn raw_x16() -> i32 {
    let pid: u64;
    // SAFETY: getpid reads no memory.
    unsafe { asm!("svc #0x80", inout("x0") 0u64 => pid, in("x7") 0u64, in("x16") nr::GETPID, out("x1") _) };
    if pid == bsd::getpid() { 0 } else { 1 }
}

extern "C" {
    /// Ends of our code and constants (the linker script's).
    static __text_end: u8;
    static __rodata_end: u8;
}

/// Whether every byte of `[from, to)` of our own address space is zero.
fn zero_from(from: u64, to: u64) -> bool {
    // SAFETY: the range is inside one of our regions (text or rodata),
    // mapped readable for our whole life.
    (from..to).all(|a| unsafe { (a as *const u8).read_volatile() } == 0)
}

/// 0 if data and bss are as built and nothing follows our code and
/// constants in their regions (a larger program ran here before), then
/// dirties data and bss for the next task.
fn fresh() -> i32 {
    // Addresses of the linker's symbols, not reads of them.
    let (text_end, rodata_end) = (core::ptr::addr_of!(__text_end) as u64, core::ptr::addr_of!(__rodata_end) as u64);
    if !zero_from(text_end, layout::TEXT.end()) || !zero_from(rodata_end, layout::RODATA.end()) {
        return 2;
    }
    // SAFETY: one thread; nothing else touches these.
    unsafe {
        let data = core::ptr::addr_of_mut!(DATA);
        let bss = core::ptr::addr_of_mut!(BSS);
        let clean = data.read_volatile() == 0x5eed && (*bss).iter().all(|&w| w == 0);
        data.write_volatile(0xdead);
        (*bss).fill(0xffff_ffff);
        if clean { 0 } else { 1 }
    }
}

/// Sends "ping" with a send-once reply right to the bootstrap port, and
/// exits 0 if the reply is "pong".
fn message(args: &Args) -> i32 {
    let server = args.bootstrap_port();
    let reply = mach::mach_reply_port();
    let mut m = mach::Message::new(server, port::MACH_MSG_TYPE_COPY_SEND, 7, b"ping");
    m.header.local_port = reply;
    m.header.bits = mach::msgh_bits(port::MACH_MSG_TYPE_COPY_SEND, port::MACH_MSG_TYPE_MAKE_SEND_ONCE);
    if mach::send(&m).is_err() {
        return 1;
    }
    let mut r = mach::Message::default();
    match mach::receive(&mut r, reply, None) {
        Ok(()) if r.body() == b"pong" && r.header.id == 8 => 0,
        _ => 2,
    }
}

/// Spawns `program` attached to the first conclave of the table: 0, or
/// 100 + the errno of the refusal.
fn attach(program: &str) -> i32 {
    let mut table = [libsystem::exclaves::Resource::default(); libsystem::exclaves::LIST_MAX];
    let n = libsystem::exclaves::list(&mut table).unwrap_or(0).min(table.len());
    let Some(id) = table[..n].iter().find(|r| r.kind_name() == "CONCLAVE_MANAGER").map(|r| r.id as u32) else { return 255 };
    let attr = libsystem::abi::spawn::SpawnAttr { version: libsystem::abi::spawn::ATTR_VERSION, flags: 0, conclave_id: id, bootstrap_port: 0 };
    match bsd::posix_spawn(program, &[program, "host", "launch"], Some(&attr)) {
        Ok(_) => 0,
        Err(e) => 100 + e.0 as i32,
    }
}
