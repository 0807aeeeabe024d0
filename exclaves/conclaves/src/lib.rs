//! A conclave's runtime: its entry, and the few seL4 system calls it makes,
//! by register, at the fixed conventions of `conclave_lifecycle::runtime`
//! (its manager loads it; no tool patches its symbols, so it has no
//! Microkit runtime). A conclave is
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! conclaves::conclave!(init);
//! fn init() -> Demo { Demo }
//! impl conclaves::Serve for Demo {
//!     fn serve(&mut self, call: conclaves::Call) -> u64 { /* the reply label */ }
//! }
//! ```
//!
//! `init` runs at each launch; each protected call is one `serve`, its
//! return the reply's label. After a crash its manager enters it again in the crashed
//! mode: every call, the one it crashed in first, is answered with
//! [`CRASHED`] and nothing is served until it is launched again.
#![no_std]

use core::arch::asm;

pub use conclave_lifecycle::runtime::{ACK, BAD_CALL, CRASHED, ENTRY_CRASHED, HOST_CHANNEL, MANAGER_CHANNEL, MESSAGE_PAGE, REPLIED, STOP_HOST};
use conclave_lifecycle::runtime::{INPUT_SLOT, PPC_BADGE, PP_BASE};

/// seL4 system call numbers (x7).
const SYS_CALL: i64 = -1;
const SYS_REPLY_RECV: i64 = -2;
const SYS_RECV: i64 = -5;
const SYS_REPLY: i64 = -6;

/// A message info word with no words and no caps.
const fn info(label: u64) -> u64 {
    label << 12
}

/// One call received: its channel and message info.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The channel id, or `None` for a message that is no protected call.
    pub channel: Option<u64>,
    pub label: u64,
    pub words: u64,
}

impl Call {
    fn new(badge: u64, info: u64) -> Self {
        let channel = (badge & PPC_BADGE != 0).then_some(badge & 0x3f);
        Call { channel, label: info >> 12, words: info & 0x7f }
    }

    /// A bare call (label 0, no words) from the host: its message page
    /// holds a request.
    pub fn is_host_request(&self) -> bool {
        self.channel == Some(HOST_CHANNEL) && self.label == 0 && self.words == 0
    }
}

fn recv() -> Call {
    let (badge, info): (u64, u64);
    // SAFETY: Recv writes only x0-x5 (badge, info, message words) and
    // the IPC buffer, which nothing here reads.
    unsafe {
        asm!("svc #0", in("x7") SYS_RECV, inout("x0") INPUT_SLOT => badge, out("x1") info,
            out("x2") _, out("x3") _, out("x4") _, out("x5") _, options(nostack));
    }
    Call::new(badge, info)
}

fn reply_recv(label: u64) -> Call {
    let (badge, out): (u64, u64);
    // SAFETY: as for `recv`; the reply carries no words.
    unsafe {
        asm!("svc #0", in("x7") SYS_REPLY_RECV, inout("x0") INPUT_SLOT => badge, inout("x1") info(label) => out,
            out("x2") _, out("x3") _, out("x4") _, out("x5") _, options(nostack));
    }
    Call::new(badge, out)
}

fn reply(label: u64) {
    // SAFETY: Reply reads x1 and changes no register of ours.
    unsafe { asm!("svc #0", in("x7") SYS_REPLY, in("x1") info(label), options(nostack)) }
}

/// A label-only call to the manager (`STOP_HOST`): its reply's label.
pub fn call_manager(label: u64) -> u64 {
    let out: u64;
    // SAFETY: Call writes x0-x5 and the IPC buffer only.
    unsafe {
        asm!("svc #0", in("x7") SYS_CALL, inout("x0") PP_BASE + MANAGER_CHANNEL => _, inout("x1") info(label) => out,
            out("x2") _, out("x3") _, out("x4") _, out("x5") _, options(nostack));
    }
    out >> 12
}

/// What a conclave does with each protected call.
pub trait Serve {
    /// Answers `call`; the result is the reply's label.
    fn serve(&mut self, call: Call) -> u64;
}

/// Serves protected calls forever, each reply folded into the next receive.
pub fn run(mut conclave: impl Serve) -> ! {
    let mut call = recv();
    loop {
        let label = conclave.serve(call);
        call = reply_recv(label);
    }
}

/// The crashed mode: the caller it crashed serving (if any) is released
/// with [`CRASHED`], and so is every later one.
pub fn crashed() -> ! {
    reply(CRASHED);
    let mut call = recv();
    loop {
        call = reply_recv(if call.channel.is_some() { CRASHED } else { BAD_CALL });
    }
}

/// Names the conclave's `fn() -> impl Serve`.
#[macro_export]
macro_rules! conclave {
    ($init:path) => {
        #[no_mangle]
        extern "C" fn __conclave_main(mode: u64) -> ! {
            if mode == $crate::ENTRY_CRASHED {
                $crate::crashed()
            }
            $crate::run($init())
        }
    };
}

// The manager enters with pc = the ELF entry, sp = the stack's top, x0 the
// mode and every other register zero.
core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "b __conclave_main",
);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // A fault its manager records as the crash.
    loop {
        // SAFETY: raises a user exception; nothing after it runs.
        unsafe { asm!("udf #0") };
    }
}
