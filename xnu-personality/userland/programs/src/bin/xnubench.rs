//! The XNU benchmarks (`make bench` types `xnubench` at the shell of the
//! bench-kernel system): trap round trips, a console write, a spawn, exit
//! and wait4, exclave calls through ENDPOINT_CALL, and secure storage, in guest instructions (the bench kernel lets EL0 read
//! the cycle counter; on a debug kernel this program dies of SIGILL).
#![no_std]
#![no_main]

use core::arch::asm;

use libsystem::abi::bsd as nr;
use libsystem::print::Fd;
use libsystem::abi::exclaves::MAX_SERVICE_ID;
use libsystem::{bsd, exclaves, println, Args, Errno};
use sel4_bench::{cycles, Bench};
use tightbeam::echo::Echo;
use tightbeam::{encode_request, Request, MESSAGE_BYTES, PAYLOAD_MAX};

libsystem::entry!(main);

fn bsd_raw(number: i64) -> Result<u64, Errno> {
    libsystem::bsd_trap(number, [0; 6])
}

/// Virtual ns per counter tick (62.5 MHz).
const NS_PER_TICK: u64 = 16;

fn main(args: Args) -> i32 {
    if args.get(1) == Some("conclave") {
        return conclave_cycle();
    }
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
    // A failed bench ends without the line `make bench` waits for.
    if let Err(why) = endpoint_calls(&mut bench) {
        println!("xnubench: {why}");
        return 1;
    }
    println!("*** bench finished ***");
    0
}

/// ENDPOINT_CALL to the echo exclave with a whole payload each way, as
/// libSystem makes it (the fast call) and through the trap; two calls XNU
/// refuses at successive checks; and the copy XNU makes each way: so that
/// the report can split the round trip (bench-report.py). One call is
/// refused at the id check, one for want of a service of that id in the
/// task's domains (after the caller's entitlements and route).
fn endpoint_calls(bench: &mut Bench<Fd>) -> Result<(), &'static str> {
    let echo = exclaves::lookup("echo").map_err(|_| "no echo service to call")?;
    // Message buffers 8-byte aligned, as XNU's copy wants them for its fast path.
    let mut request = Aligned([0u8; MESSAGE_BYTES]);
    encode_request(&Request::Echo(Echo { bytes: &[0x5a; PAYLOAD_MAX] }), &mut request.0).map_err(|_| "the echo request does not encode")?;
    let mut failed = false;
    // libSystem's call (the fast call), then the exclaves_ctl trap alone, as
    // raw svc code would call.
    type Call = fn(u64, &mut [u8; MESSAGE_BYTES]) -> Result<(), libsystem::mach::KernError>;
    let calls: [(&str, Call); 2] =
        [("xnu_endpoint_call_echo_512", exclaves::endpoint_call), ("xnu_endpoint_call_echo_512_trap", exclaves::endpoint_call_trap)];
    for (name, call) in calls {
        bench.run(name, || {
            let mut message = request;
            let start = cycles();
            failed |= call(echo, &mut message.0).is_err();
            let end = cycles();
            failed |= message.0[16..] != request.0[16..];
            end - start
        });
    }
    bench.run("xnu_endpoint_call_refused_id", || {
        let mut message = request;
        let start = cycles();
        failed |= exclaves::endpoint_call(MAX_SERVICE_ID, &mut message.0).is_ok();
        cycles() - start
    });
    bench.run("xnu_endpoint_call_refused_not_in_domain", || {
        let mut message = request;
        let start = cycles();
        failed |= exclaves::endpoint_call(MAX_SERVICE_ID - 1, &mut message.0).is_ok();
        cycles() - start
    });
    // XNU's copy of a message between a task and the message page.
    let mut to = Aligned([0u8; MESSAGE_BYTES]);
    let from = request;
    bench.run("xnu_message_copy_512_bytes", || {
        let start = cycles();
        // SAFETY: two distinct 512-byte buffers of ours.
        unsafe { volatile_copy::copy_volatile(to.0.as_mut_ptr(), from.0.as_ptr(), MESSAGE_BYTES) };
        cycles() - start
    });
    failed |= to.0 != request.0;
    named_buffer_copies(bench)?;
    sensors_and_audio(bench)?;
    conclave(bench)?;
    // Last: its disk waits move the virtual clock by the disk's real time,
    // and so the phase of the kernel's tick in whatever would come after.
    storage(bench)?;
    if failed {
        return Err("an ENDPOINT_CALL did not answer as expected");
    }
    Ok(())
}

#[repr(align(8))]
#[derive(Clone, Copy)]
struct Aligned<T>(T);

/// A conclave's cycle, run by a host task attached to the demo conclave
/// (this program again, `xnubench conclave`), which prints the figure.
fn conclave(_: &mut Bench<Fd>) -> Result<(), &'static str> {
    let mut table = [exclaves::Resource::default(); exclaves::LIST_MAX];
    let n = exclaves::list(&mut table).map_err(|_| "the table did not list")?.min(table.len());
    let Some(id) = table[..n].iter().find(|r| r.kind_name() == "CONCLAVE_MANAGER").map(|r| r.id as u32) else {
        return Err("no conclave to bench");
    };
    let attr = libsystem::abi::spawn::SpawnAttr { version: libsystem::abi::spawn::ATTR_VERSION, flags: 0, conclave_id: id, bootstrap_port: 0 };
    let pid = bsd::posix_spawn("xnubench", &["xnubench", "conclave"], Some(&attr)).map_err(|_| "the conclave's host did not spawn")?;
    let (_, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
    if status != 0 {
        return Err("the conclave's host failed");
    }
    Ok(())
}

/// `xnubench conclave`: LAUNCH_CONCLAVE (the manager reloads the
/// conclave's memory), one call of its demo service, and a stop, as one
/// figure, in retired instructions.
fn conclave_cycle() -> i32 {
    use libsystem::abi::conclave_ctl::STOP;
    use sel4_bench::{instructions, start_instructions};
    use tightbeam::conclave::Control;
    let mut bench = Bench::new(Fd(1));
    let Ok(demo) = exclaves::lookup("demo") else {
        println!("xnubench: the conclave's demo service is not found");
        return 1;
    };
    let mut request = [0u8; MESSAGE_BYTES];
    if encode_request(&Request::DemoCount(Control), &mut request).is_err() {
        return 1;
    }
    let mut failed = false;
    start_instructions();
    bench.run_few("xnu_conclave_launch_call_stop", 5, 50, || {
        let mut message = request;
        let start = instructions();
        failed |= exclaves::launch_conclave().is_err();
        failed |= exclaves::endpoint_call(demo, &mut message).is_err();
        failed |= exclaves::conclave_ctl(STOP, 0).is_err();
        u64::from(instructions().wrapping_sub(start))
    });
    if failed {
        println!("xnubench: a conclave launch, call or stop failed");
        return 1;
    }
    0
}

/// Secure storage: a put and a get of 4 KiB, each a whole call as a task
/// makes it: the AEAD in the storage exclave, its upcalls, and XNU's disk
/// transfers (a put writes the object's directory and data, a get reads
/// the data), in bytes per instruction. Counted in retired instructions of
/// EL0 (every PD's, not the kernel's), not cycles: the call waits for the
/// disk, and the cycle counter would count that wait, as the kernel's
/// count would the timer ticks that come in it.
fn storage(bench: &mut Bench<Fd>) -> Result<(), &'static str> {
    use sel4_bench::{instructions, start_user_instructions};
    const BYTES: usize = 4096;
    let store = xnu_userland::store::Store::open().map_err(|e| e.describe())?;
    let value = Aligned([0xa7u8; BYTES]);
    let mut out = Aligned([0u8; BYTES]);
    let mut failed = false;
    // No indicator may turn off meanwhile (the sensor benchmarks' last
    // stops): its event would land in some sample, as the disk's time allows.
    let deadlines = exclaves::min_on_time().map_err(|_| "SENSOR_MIN_ON_TIME failed")?;
    if let Some(&last) = deadlines.iter().max().filter(|&&d| d != 0) {
        // And 100 ms more, for the controller to take its timer's wakeup.
        let (numer, denom) = libsystem::mach::mach_timebase_info().map_err(|_| "no timebase")?;
        let margin = 100_000_000 * u64::from(denom) / u64::from(numer.max(1));
        libsystem::mach::mach_wait_until(last + margin).map_err(|_| "mach_wait_until failed")?;
    }
    start_user_instructions();
    // Few runs: each writes the flash twice and the disk twice (real time).
    bench.median_few_with("xnu_storage_put_4k", 5, 50, &[("bytes", BYTES as u64)], || {
        let start = instructions();
        failed |= store.put(b"bench", &value.0).is_err();
        u64::from(instructions().wrapping_sub(start))
    });
    bench.median_few_with("xnu_storage_get_4k", 5, 50, &[("bytes", BYTES as u64)], || {
        let start = instructions();
        failed |= !matches!(store.get(b"bench", &mut out.0), Ok((BYTES, _)));
        u64::from(instructions().wrapping_sub(start))
    });
    if failed || out.0 != value.0 {
        return Err("a storage put or get failed");
    }
    Ok(())
}

/// NAMED_BUFFER_COPYIN and COPYOUT of 4 KiB (libSystem's fast call), to
/// the inbound and from the outbound buffer, in bytes per instruction.
fn named_buffer_copies(bench: &mut Bench<Fd>) -> Result<(), &'static str> {
    use libsystem::abi::exclaves::{BUFFER_PERM_READ, BUFFER_PERM_WRITE};
    const BYTES: usize = 4096;
    let inbound = exclaves::buffer_create("inbound", BYTES as u64, BUFFER_PERM_WRITE).map_err(|_| "no inbound buffer")?;
    let outbound = exclaves::buffer_create("outbound", BYTES as u64, BUFFER_PERM_READ).map_err(|_| "no outbound buffer")?;
    let mut data = Aligned([0x3cu8; BYTES]);
    let mut failed = false;
    bench.run_with("xnu_named_buffer_copyin_4k", &[("bytes", BYTES as u64)], || {
        let start = cycles();
        failed |= exclaves::buffer_copyin(inbound, &data.0, (BYTES as u64, 0), (0, 0)).is_err();
        cycles() - start
    });
    bench.run_with("xnu_named_buffer_copyout_4k", &[("bytes", BYTES as u64)], || {
        let start = cycles();
        failed |= exclaves::buffer_copyout(outbound, &mut data.0, (BYTES as u64, 0), (0, 0)).is_err();
        cycles() - start
    });
    if failed {
        return Err("a named-buffer copy failed");
    }
    Ok(())
}

/// SENSOR_STATUS and SENSOR_START round trips (task → XNU → the indicator
/// controller and back; each stop after a start is outside the count), and
/// AUDIO_BUFFER_COPYOUT of 4 KiB while the microphone runs.
fn sensors_and_audio(bench: &mut Bench<Fd>) -> Result<(), &'static str> {
    const BYTES: usize = 4096;
    let mic = exclaves::sensor_create("mic").map_err(|_| "no microphone")?;
    let audio = exclaves::audio_create("mic_audio", BYTES as u64).map_err(|_| "no microphone audio")?;
    let mut failed = false;
    bench.run("xnu_sensor_status", || {
        let start = cycles();
        failed |= exclaves::sensor_status(mic).is_err();
        cycles() - start
    });
    bench.run_few("xnu_sensor_start", 10, 100, || {
        let start = cycles();
        failed |= exclaves::sensor_start(mic).is_err();
        let end = cycles();
        failed |= exclaves::sensor_stop(mic).is_err();
        end - start
    });
    failed |= exclaves::sensor_start(mic).is_err();
    let mut data = Aligned([0u8; BYTES]);
    bench.run_with("xnu_audio_copyout_4k", &[("bytes", BYTES as u64)], || {
        let start = cycles();
        failed |= exclaves::audio_copyout(audio, &mut data.0, (BYTES as u64, 0), (0, 0)).is_err();
        cycles() - start
    });
    failed |= exclaves::sensor_stop(mic).is_err();
    if failed {
        return Err("a sensor or audio call failed");
    }
    Ok(())
}
