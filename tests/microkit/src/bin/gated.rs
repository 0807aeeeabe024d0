//! MK0010 (with `gate_witness`): a PD with `debug_syscalls="false"` makes
//! DebugHalt. It tells the witness first, then makes the call; were the call
//! served, the machine would stop, and were it ignored, the flag would say
//! so. It prints nothing: it has no syscall to print with.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler};

const WITNESS: Channel = Channel::new(0);
/// DebugHalt's number on a debug kernel: syscall.xml numbers the debug
/// syscalls on from the API ones, DebugPutChar then DebugHalt.
const DEBUG_HALT: i64 = sel4::sys::syscall::NB_RECV - 2;

protection_domain!(init);

struct Gated;
impl Handler for Gated {}

fn init() -> Gated {
    // Without the flag region or the channel the witness never hears from
    // this PD and the test fails there.
    let Ok(flag) = memory_region_symbol!(flag_vaddr, 0x1000) else { return Gated };
    if WITNESS.notify().is_err() {
        return Gated;
    }
    // SAFETY: DebugHalt takes no argument; with MCP 0 it is an UnknownSyscall
    // fault, after which the monitor leaves this PD stopped.
    unsafe { core::arch::asm!("svc #0", in("x7") DEBUG_HALT, options(nostack)) };
    let _ = flag.write_u64(0, 1);
    Gated
}
