//! The XNU benchmarks (`make bench` types `xnubench` at the shell of the
//! bench-kernel system): trap round trips, a console write, and a spawn,
//! exit and wait4, in guest instructions (the bench kernel lets EL0 read
//! the cycle counter; on a debug kernel this program dies of SIGILL).
#![no_std]
#![no_main]

use core::arch::asm;

use libsystem::abi::bsd as nr;
use libsystem::print::Fd;
use libsystem::{bsd, println, Args, Errno};
use sel4_bench::{cycles, Bench};

libsystem::entry!(main);

fn bsd_raw(number: i64) -> Result<u64, Errno> {
    libsystem::bsd_trap(number, [0; 6])
}

/// Virtual ns per counter tick (62.5 MHz).
const NS_PER_TICK: u64 = 16;

fn main(_: Args) -> i32 {
    let mut bench = Bench::new(Fd(1));
    // When the shell first waited for input, as XNU saw it.
    let prompt = bsd_raw(nr::PROMPT_TICK).unwrap_or(0);
    bench.value("xnu_boot_to_shell_prompt", "virtual_ns", prompt * NS_PER_TICK);
    bench.run("xnu_getpid_round_trip", || {
        let start = cycles();
        bsd::getpid();
        cycles() - start
    });
    // The number in x16 alone: XNU reads it from the task's TCB.
    bench.run("xnu_getpid_x16_round_trip", || {
        let start = cycles();
        // SAFETY: getpid reads no memory.
        unsafe { asm!("svc #0x80", inout("x0") 0u64 => _, in("x7") 0u64, in("x16") nr::GETPID, out("x1") _) };
        cycles() - start
    });
    // To the serial driver's ring: the driver, above XNU, takes the
    // notification at once, so this includes its writing the line out.
    let line = *b"xnubench: 64 bytes to the console, through XNU and the driver.\n";
    bench.run_few("xnu_write_64_bytes", 10, 100, || {
        let start = cycles();
        let _ = bsd::write(1, &line);
        cycles() - start
    });
    bench.run_few("xnu_spawn_exit_wait4", 10, 100, || {
        let start = cycles();
        if let Ok(pid) = bsd::posix_spawn("testchild", &["testchild", "exit", "0"], None) {
            let _ = bsd::wait4(pid as i64, 0);
        }
        cycles() - start
    });
    println!("*** bench finished ***");
    0
}
