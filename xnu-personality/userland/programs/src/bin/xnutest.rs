//! The XNU suite (sel4test-style lines): each test calls traps the way a
//! user program does and checks what XNU answers. Run it from the shell.
#![no_std]
#![no_main]

use core::arch::asm;

use libsystem::abi::{bsd as nr, errno::*, kern::*, layout, port::*, signal::*, spawn::*, wait};
use libsystem::mach::{self, Message};
use libsystem::{bsd, Args, Errno};

use xnu_userland::{ensure, run_suite, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("XNU0001", getpid_and_thread_selfid),
    ("XNU0002", write_console),
    ("XNU0003", write_bad_pointers),
    ("XNU0004", read_errors),
    ("XNU0005", unknown_bsd_numbers),
    ("XNU0006", unknown_mach_numbers),
    ("XNU0007", number_in_x16_only),
    ("XNU0008", hostile_x7_values),
    ("XNU0009", spawn_exit_wait4),
    ("XNU0010", spawn_errors),
    ("XNU0011", spawn_passes_argv),
    ("XNU0012", wait4_errors),
    ("XNU0013", wait4_nohang),
    ("XNU0014", kill_ends_a_task),
    ("XNU0015", kill_errors),
    ("XNU0016", faults_kill_only_the_task),
    ("XNU0017", slot_reused_100_times),
    ("XNU0018", every_slot_then_eagain),
    ("XNU0019", absolute_time_and_timebase),
    ("XNU0020", wait_until),
    ("XNU0021", sleeping_child_does_not_block_parent),
    ("XNU0022", ports_allocate_deallocate),
    ("XNU0023", port_trap_errors),
    ("XNU0024", mach_msg_to_self),
    ("XNU0025", mach_msg_send_errors),
    ("XNU0026", mach_msg_receive_errors),
    ("XNU0027", mach_msg_between_tasks),
    ("XNU0028", send_once_and_move_rights),
    ("XNU0029", dead_port),
    ("XNU0030", queue_limit),
    ("XNU0031", proc_list_and_orphans),
    ("XNU0032", thread_ids_differ),
    ("XNU0033", port_space_is_bounded),
    ("XNU0034", zombies_are_bounded),
];

fn main(_: Args) -> i32 {
    run_suite("xnu", TESTS)
}

/// Runs `testchild ARGS...` and waits for it: its wait status.
fn run(args: &[&str]) -> Result<u32, &'static str> {
    let pid = bsd::posix_spawn("testchild", args, None).map_err(|_| "posix_spawn of testchild failed")?;
    match bsd::wait4(pid as i64, 0) {
        Ok((p, status)) if p == pid => Ok(status),
        _ => Err("wait4 did not reap the child"),
    }
}

/// As `run`, but a child still running after 200 ms (one that made seL4
/// block it for good) is killed.
fn run_bounded(args: &[&str]) -> Result<u32, &'static str> {
    let pid = bsd::posix_spawn("testchild", args, None).map_err(|_| "posix_spawn of testchild failed")?;
    for _ in 0..40 {
        match bsd::wait4(pid as i64, wait::WNOHANG) {
            Ok((0, _)) => mach::sleep_ms(5).map_err(|_| "sleep failed")?,
            Ok((_, status)) => return Ok(status),
            Err(_) => return Err("wait4 failed"),
        }
    }
    bsd::kill(pid as i64, SIGKILL).map_err(|_| "kill of a stuck child failed")?;
    bsd::wait4(pid as i64, 0).map(|(_, status)| status).map_err(|_| "wait4 failed")
}

fn exited(code: u64) -> u32 {
    wait::exited(code)
}

/// A raw BSD trap with the libSystem hint.
fn bsd_raw(number: i64, a: [u64; 6]) -> Result<u64, Errno> {
    libsystem::bsd_trap(number, a)
}

fn getpid_and_thread_selfid() -> Outcome {
    let pid = bsd::getpid();
    ensure!(pid > 1 && pid == bsd::getpid(), "getpid is not a stable pid above launchd's");
    let tid = bsd::thread_selfid();
    ensure!(tid != 0 && tid == bsd::thread_selfid() && tid != pid, "thread_selfid is not a stable id of its own");
    Ok(())
}

fn write_console() -> Outcome {
    let text = b"xnutest: a line written with write(1)\n";
    ensure!(bsd::write(1, text) == Ok(text.len()), "write(1) did not return the byte count");
    ensure!(bsd::write(2, b"") == Ok(0), "an empty write(2) did not return 0");
    ensure!(bsd::write(0, b"x") == Err(Errno(EBADF)), "write(0) is not EBADF");
    ensure!(bsd::write(7, b"x") == Err(Errno(EBADF)), "write(7) is not EBADF");
    Ok(())
}

/// Pointers no task can pass: unmapped, kernel, wrapping, running off the
/// end of a region, and the gap between two regions.
const BAD_RANGES: [(u64, u64); 6] = [
    (0x1, 4),
    (0xffff_0000_0000_0000, 4),
    (u64::MAX - 8, 64),
    (layout::DATA.base, layout::DATA.size + 1),
    (layout::STACK.end() - 8, 16),
    (layout::TEXT.end(), 8),
];

fn write_bad_pointers() -> Outcome {
    for (addr, len) in BAD_RANGES {
        ensure!(bsd_raw(nr::WRITE, [1, addr, len, 0, 0, 0]) == Err(Errno(EFAULT)), "a bad write buffer is not EFAULT");
    }
    Ok(())
}

fn read_errors() -> Outcome {
    for (addr, len) in BAD_RANGES {
        ensure!(bsd_raw(nr::READ, [0, addr, len, 0, 0, 0]) == Err(Errno(EFAULT)), "a bad read buffer is not EFAULT");
    }
    // Text and constants are readable to the task, but not writable.
    let text = layout::TEXT.base;
    ensure!(bsd_raw(nr::READ, [0, text, 4, 0, 0, 0]) == Err(Errno(EFAULT)), "read into text is not EFAULT");
    ensure!(bsd_raw(nr::READ, [0, layout::RODATA.base, 4, 0, 0, 0]) == Err(Errno(EFAULT)), "read into rodata is not EFAULT");
    let mut buf = [0u8; 4];
    ensure!(bsd::read(1, &mut buf) == Err(Errno(EBADF)), "read(1) is not EBADF");
    ensure!(bsd::read(0, &mut buf[..0]) == Ok(0), "a read of 0 bytes did not return 0");
    Ok(())
}

fn unknown_bsd_numbers() -> Outcome {
    for n in [2, 5, 200, 599, 699, 100_000, i32::MAX as i64] {
        ensure!(bsd_raw(n, [0; 6]) == Err(Errno(ENOSYS)), "an unknown BSD number is not ENOSYS");
    }
    ensure!(bsd::getpid() > 1, "the task did not live on");
    Ok(())
}

fn unknown_mach_numbers() -> Outcome {
    for n in [-1, -2, -4, -27, -100, -1000, i32::MIN as i64] {
        ensure!(libsystem::mach_trap(n, [0; 7]) == KERN_INVALID_ARGUMENT, "an unknown Mach number is not KERN_INVALID_ARGUMENT");
    }
    Ok(())
}

fn number_in_x16_only() -> Outcome {
    ensure!(run(&["testchild", "raw16"])? == exited(0), "getpid with the number in x16 only did not answer the pid");
    // And here, with x7 holding a hint for another call: x16 is not read.
    let pid: u64;
    // SAFETY: getpid reads no memory.
    unsafe { asm!("svc #0x80", inout("x0") 0u64 => pid, in("x7") libsystem::abi::hint(nr::GETPID), in("x16") nr::EXIT, out("x1") _) };
    ensure!(pid == bsd::getpid(), "the hint did not decide the call");
    Ok(())
}

fn hostile_x7_values() -> Outcome {
    // Every seL4 syscall number (and a few past them), with x0 on each
    // slot a task's CSpace has: empty, its input and its fault endpoint.
    for x7 in 1..=20i64 {
        for cap in [0u64, 1, 2, 511] {
            let mut x7s = [0u8; 24];
            let mut caps = [0u8; 24];
            let status = run_bounded(&["testchild", "x7", fmt(&mut x7s, -x7), fmt(&mut caps, cap as i64)])?;
            let fine = status == exited(0) || status == wait::signaled(SIGSYS) || status == wait::signaled(SIGKILL);
            ensure!(fine, "a hostile x7 ended its task in a way other than exit 0, SIGSYS or SIGKILL");
        }
    }
    ensure!(bsd::getpid() > 1, "XNU stopped answering after hostile x7 values");
    Ok(())
}

fn spawn_exit_wait4() -> Outcome {
    ensure!(run(&["testchild", "exit", "42"])? == exited(42), "the exit status did not reach wait4");
    ensure!(run(&["testchild", "exit", "0"])? == exited(0), "exit(0) did not reach wait4");
    let pid = bsd::posix_spawn("testchild", &["testchild", "pid"], None).map_err(|_| "spawn failed")?;
    let (reaped, status) = bsd::wait4(-1, 0).map_err(|_| "wait4(-1) failed")?;
    ensure!(reaped == pid && status == exited(pid & 0xff), "the child's getpid is not the pid spawn returned");
    Ok(())
}

fn spawn_errors() -> Outcome {
    ensure!(bsd::posix_spawn("nonesuch", &["nonesuch"], None) == Err(Errno(ENOENT)), "an unknown program is not ENOENT");
    ensure!(bsd::spawn_raw(0, 0x10, 0, 0) == Err(Errno(EFAULT)), "a bad path pointer is not EFAULT");
    let long = [b'a'; 1500];
    ensure!(bsd::spawn_raw(0, long.as_ptr() as u64, 0, 0) == Err(Errno(ENAMETOOLONG)), "a path with no NUL in 1024 bytes is not ENAMETOOLONG");
    let bad_version = SpawnAttr { version: 9, ..Default::default() };
    ensure!(bsd::posix_spawn("testchild", &["testchild"], Some(&bad_version)) == Err(Errno(EINVAL)), "a bad attr version is not EINVAL");
    let conclave = SpawnAttr { version: ATTR_VERSION, conclave_id: 3, ..Default::default() };
    // xnutest may not attach a task to a conclave (conclave-spawn).
    ensure!(bsd::posix_spawn("testchild", &["testchild"], Some(&conclave)) == Err(Errno(EPERM)), "an attach by an unentitled task is not EPERM");
    let path = b"testchild\0";
    ensure!(bsd::spawn_raw(0, path.as_ptr() as u64, 0, 0x20) == Err(Errno(EFAULT)), "a bad argv pointer is not EFAULT");
    ensure!(bsd::spawn_raw(0x30, path.as_ptr() as u64, 0, 0) == Err(Errno(EFAULT)), "a bad pid pointer is not EFAULT");
    Ok(())
}

fn spawn_passes_argv() -> Outcome {
    ensure!(run(&["testchild", "args", "one", "two words", ""])? == exited(0), "the child did not see its argv as passed");
    Ok(())
}

fn wait4_errors() -> Outcome {
    ensure!(bsd::wait4(-1, 0) == Err(Errno(ECHILD)), "wait4 with no children is not ECHILD");
    ensure!(bsd::wait4(1, 0) == Err(Errno(ECHILD)), "wait4 for another's task is not ECHILD");
    ensure!(bsd::wait4(-1, 0x80) == Err(Errno(EINVAL)), "an unknown option is not EINVAL");
    ensure!(bsd::wait4(0, 0) == Err(Errno(EINVAL)), "a process group wait is not EINVAL");
    ensure!(bsd_raw(nr::WAIT4, [u64::MAX, 0x10, 0, 0, 0, 0]) == Err(Errno(EFAULT)), "a bad status pointer is not EFAULT");
    Ok(())
}

fn wait4_nohang() -> Outcome {
    let pid = bsd::posix_spawn("testchild", &["testchild", "sleep", "50"], None).map_err(|_| "spawn failed")?;
    ensure!(bsd::wait4(pid as i64, wait::WNOHANG) == Ok((0, 0)), "WNOHANG did not return 0 while the child runs");
    let (reaped, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
    ensure!(reaped == pid && status == exited(0), "the sleeping child did not exit 0");
    Ok(())
}

fn kill_ends_a_task() -> Outcome {
    for (mode, signal) in [("spin", SIGTERM), ("block", SIGKILL), ("sleep", SIGKILL)] {
        let pid = bsd::posix_spawn("testchild", &["testchild", mode, "100000"], None).map_err(|_| "spawn failed")?;
        ensure!(bsd::kill(pid as i64, 0).is_ok(), "kill 0 does not find a live task");
        ensure!(bsd::kill(pid as i64, signal).is_ok(), "kill failed");
        let (_, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
        ensure!(status == wait::signaled(signal), "the killed task's status is not its signal");
        ensure!(bsd::kill(pid as i64, 0) == Err(Errno(ESRCH)), "a reaped task is still found");
    }
    Ok(())
}

fn kill_errors() -> Outcome {
    ensure!(bsd::kill(99_999, SIGTERM) == Err(Errno(ESRCH)), "kill of no task is not ESRCH");
    ensure!(bsd::kill(1, SIGKILL) == Err(Errno(EPERM)), "kill of launchd is not EPERM");
    ensure!(bsd::kill(bsd::getpid() as i64, 99) == Err(Errno(EINVAL)), "signal 99 is not EINVAL");
    ensure!(bsd::kill(-5, SIGTERM) == Err(Errno(EINVAL)), "a negative pid is not EINVAL");
    Ok(())
}

fn faults_kill_only_the_task() -> Outcome {
    for (mode, signal) in [("segv", SIGSEGV), ("wtext", SIGSEGV), ("undef", SIGILL), ("align", SIGBUS)] {
        ensure!(run(&["testchild", mode])? == wait::signaled(signal), "a faulting task's status is not its fault's signal");
    }
    ensure!(run(&["testchild", "exit", "5"])? == exited(5), "a task after the faults did not run normally");
    Ok(())
}

fn slot_reused_100_times() -> Outcome {
    // A larger program first, in the slot the next child takes.
    let filler = bsd::posix_spawn("filler", &["filler"], None).map_err(|_| "spawn of filler failed")?;
    ensure!(bsd::wait4(filler as i64, 0).is_ok(), "filler was not reaped");
    for _ in 0..100 {
        match run(&["testchild", "fresh"])? {
            s if s == exited(0) => {}
            s if s == exited(2) => return Err("a reused slot kept the last program's text or rodata"),
            _ => return Err("a reused slot kept the last task's data or bss"),
        }
    }
    Ok(())
}

fn every_slot_then_eagain() -> Outcome {
    let mut pids = [0u64; 8];
    let mut n = 0;
    let result = loop {
        match bsd::posix_spawn("testchild", &["testchild", "block"], None) {
            Ok(pid) if n < pids.len() => {
                pids[n] = pid;
                n += 1;
            }
            Ok(_) => break Err("more tasks ran than there are slots"),
            Err(e) => break if e == Errno(EAGAIN) && n > 0 { Ok(()) } else { Err("spawn failed other than EAGAIN") },
        }
    };
    for &pid in &pids[..n] {
        let _ = bsd::kill(pid as i64, SIGKILL);
        let _ = bsd::wait4(pid as i64, 0);
    }
    result?;
    ensure!(run(&["testchild", "exit", "1"])? == exited(1), "a slot freed by kill did not run a new task");
    Ok(())
}

fn absolute_time_and_timebase() -> Outcome {
    let (numer, denom) = mach::mach_timebase_info().map_err(|_| "mach_timebase_info failed")?;
    ensure!(numer > 0 && denom > 0, "a zero timebase");
    let a = mach::mach_absolute_time();
    let b = mach::mach_absolute_time();
    ensure!(a > 0 && b >= a, "mach_absolute_time went backwards");
    ensure!(libsystem::mach_trap(libsystem::abi::mach::MACH_TIMEBASE_INFO, [0x10, 0, 0, 0, 0, 0, 0]) == KERN_INVALID_ADDRESS, "a bad timebase pointer is not KERN_INVALID_ADDRESS");
    Ok(())
}

fn wait_until() -> Outcome {
    let start = mach::now_ns();
    mach::sleep_ms(30).map_err(|_| "mach_wait_until failed")?;
    ensure!(mach::now_ns() - start >= 30_000_000, "mach_wait_until returned before its deadline");
    ensure!(mach::mach_wait_until(0).is_ok(), "a deadline in the past did not return at once");
    Ok(())
}

fn sleeping_child_does_not_block_parent() -> Outcome {
    let pid = bsd::posix_spawn("testchild", &["testchild", "sleep", "100"], None).map_err(|_| "spawn failed")?;
    let mut polls = 0;
    while bsd::wait4(pid as i64, wait::WNOHANG).map_err(|_| "wait4 failed")?.0 == 0 {
        polls += 1;
    }
    ensure!(polls > 10, "the parent did not run while its child slept");
    Ok(())
}

fn ports_allocate_deallocate() -> Outcome {
    let task = mach::task_self();
    ensure!(task != 0, "task_self gave no name");
    let port = mach::port_allocate(task, MACH_PORT_RIGHT_RECEIVE).map_err(|_| "mach_port_allocate failed")?;
    ensure!(port != 0 && port != task, "the new port's name is not new");
    let reply = mach::mach_reply_port();
    ensure!(reply != 0 && reply != port, "mach_reply_port gave no new name");
    ensure!(mach::port_deallocate(task, port) == Err(mach::KernError(KERN_INVALID_RIGHT)), "deallocating a receive right is not KERN_INVALID_RIGHT");
    ensure!(mach::port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1).is_ok(), "mod_refs -1 on the receive right failed");
    ensure!(mach::port_deallocate(task, port) == Err(mach::KernError(KERN_INVALID_NAME)), "a destroyed name is still known");
    ensure!(mach::port_mod_refs(task, reply, MACH_PORT_RIGHT_RECEIVE, -1).is_ok(), "destroying the reply port failed");
    Ok(())
}

fn port_trap_errors() -> Outcome {
    let task = mach::task_self();
    ensure!(mach::port_allocate(0x1234, MACH_PORT_RIGHT_RECEIVE) == Err(mach::KernError(MACH_SEND_INVALID_DEST)), "a bad target is not MACH_SEND_INVALID_DEST");
    ensure!(mach::port_allocate(task, 7) == Err(mach::KernError(KERN_INVALID_VALUE)), "a bad right is not KERN_INVALID_VALUE");
    let bad_out = libsystem::mach_trap(libsystem::abi::mach::MACH_PORT_ALLOCATE, [u64::from(task), MACH_PORT_RIGHT_RECEIVE, 0x10, 0, 0, 0, 0]);
    ensure!(bad_out == KERN_INVALID_ADDRESS, "a bad name pointer is not KERN_INVALID_ADDRESS");
    ensure!(mach::port_deallocate(task, 0x7777_7703) == Err(mach::KernError(KERN_INVALID_NAME)), "an unknown name is not KERN_INVALID_NAME");
    ensure!(mach::port_mod_refs(task, task, MACH_PORT_RIGHT_SEND, -100) == Err(mach::KernError(KERN_INVALID_VALUE)), "a negative uref count is not KERN_INVALID_VALUE");
    Ok(())
}

fn mach_msg_to_self() -> Outcome {
    let port = mach::mach_reply_port();
    let m = Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1234, b"inline bytes through a port");
    mach::send(&m).map_err(|_| "send to our own port failed")?;
    let mut r = Message::default();
    mach::receive(&mut r, port, Some(0)).map_err(|_| "receive of a queued message failed")?;
    // 27 bytes, padded to 28 as Mach sizes are.
    ensure!(r.body() == b"inline bytes through a port\0" && r.header.id == 1234, "the message changed on the way");
    ensure!(r.header.size == 24 + 28, "the received size is not the sent one");
    ensure!(r.header.local_port == port && r.header.remote_port == 0, "the received header names the wrong ports");
    Ok(())
}

fn mach_msg_send_errors() -> Outcome {
    let port = mach::mach_reply_port();
    let good = Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, b"x");
    let send = |m: &Message, size: u64| mach::mach_msg_raw(m as *const Message as u64, MACH_SEND_MSG, size, 0, 0, 0);
    ensure!(send(&Message::new(0x4444_4403, MACH_MSG_TYPE_COPY_SEND, 1, b"x"), 28) == MACH_SEND_INVALID_DEST, "an unknown destination is not MACH_SEND_INVALID_DEST");
    ensure!(send(&Message::new(port, MACH_MSG_TYPE_COPY_SEND, 1, b"x"), 28) == MACH_SEND_INVALID_DEST, "COPY_SEND without a send right is not MACH_SEND_INVALID_DEST");
    ensure!(send(&good, 16) == MACH_SEND_MSG_TOO_SMALL, "a size below the header is not MACH_SEND_MSG_TOO_SMALL");
    ensure!(send(&good, 26) == MACH_SEND_MSG_TOO_SMALL, "a size not a multiple of 4 is not MACH_SEND_MSG_TOO_SMALL");
    ensure!(send(&good, 4096) == MACH_SEND_TOO_LARGE, "an oversized message is not MACH_SEND_TOO_LARGE");
    let mut complex = good;
    complex.header.bits |= 0x8000_0000;
    ensure!(send(&complex, 28) == MACH_SEND_INVALID_HEADER, "a complex message is not MACH_SEND_INVALID_HEADER");
    let mut bad_kind = good;
    bad_kind.header.bits = 3;
    ensure!(send(&bad_kind, 28) == MACH_SEND_INVALID_HEADER, "a bad disposition is not MACH_SEND_INVALID_HEADER");
    ensure!(mach::mach_msg_raw(0x10, MACH_SEND_MSG, 28, 0, 0, 0) == MACH_SEND_INVALID_DATA, "a bad message pointer is not MACH_SEND_INVALID_DATA");
    let mut r = Message::default();
    ensure!(mach::receive(&mut r, port, Some(0)) == Err(mach::KernError(MACH_RCV_TIMED_OUT)), "a failed send queued a message");
    Ok(())
}

fn mach_msg_receive_errors() -> Outcome {
    let port = mach::mach_reply_port();
    let mut r = Message::default();
    ensure!(mach::receive(&mut r, 0x5555_5503, Some(0)) == Err(mach::KernError(MACH_RCV_INVALID_NAME)), "an unknown receive name is not MACH_RCV_INVALID_NAME");
    ensure!(mach::receive(&mut r, mach::task_self(), Some(0)) == Err(mach::KernError(MACH_RCV_INVALID_NAME)), "receiving on a send right is not MACH_RCV_INVALID_NAME");
    ensure!(mach::receive(&mut r, port, Some(0)) == Err(mach::KernError(MACH_RCV_TIMED_OUT)), "an empty port did not time out");
    let start = mach::now_ns();
    ensure!(mach::receive(&mut r, port, Some(20)) == Err(mach::KernError(MACH_RCV_TIMED_OUT)), "a 20 ms receive did not time out");
    ensure!(mach::now_ns() - start >= 20_000_000, "the receive timed out early");
    mach::send(&Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, &[7; 100])).map_err(|_| "send failed")?;
    let small = mach::mach_msg_raw(&mut r as *mut Message as u64, MACH_RCV_MSG, 0, 64, port, 0);
    ensure!(small == MACH_RCV_TOO_LARGE, "a too-small buffer is not MACH_RCV_TOO_LARGE");
    mach::send(&Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, b"y")).map_err(|_| "send failed")?;
    let into_text = mach::mach_msg_raw(layout::TEXT.base, MACH_RCV_MSG, 0, 64, port, 0);
    ensure!(into_text == MACH_RCV_INVALID_DATA, "receiving into text is not MACH_RCV_INVALID_DATA");
    Ok(())
}

fn mach_msg_between_tasks() -> Outcome {
    let port = mach::mach_reply_port();
    let attr = SpawnAttr { version: ATTR_VERSION, bootstrap_port: port, ..Default::default() };
    let pid = bsd::posix_spawn("testchild", &["testchild", "msg"], Some(&attr)).map_err(|_| "spawn failed")?;
    // A blocking receive: the child has not sent yet when we get here.
    let mut r = Message::default();
    mach::receive(&mut r, port, None).map_err(|_| "the blocking receive failed")?;
    ensure!(r.body() == b"ping" && r.header.id == 7, "the child's message changed on the way");
    ensure!(r.header.remote_port != 0, "no reply right came with the message");
    let pong = Message::new(r.header.remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, 8, b"pong");
    mach::send(&pong).map_err(|_| "the reply failed")?;
    let (_, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
    ensure!(status == exited(0), "the child did not get the reply");
    Ok(())
}

fn send_once_and_move_rights() -> Outcome {
    let port = mach::mach_reply_port();
    let reply = mach::mach_reply_port();
    let mut m = Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, b"a");
    m.header.local_port = reply;
    m.header.bits = mach::msgh_bits(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    mach::send(&m).map_err(|_| "send failed")?;
    let mut r = Message::default();
    mach::receive(&mut r, port, Some(0)).map_err(|_| "receive failed")?;
    let once = r.header.remote_port;
    ensure!(once != 0 && once != reply, "the send-once right did not get a name of its own");
    mach::send(&Message::new(once, MACH_MSG_TYPE_MOVE_SEND_ONCE, 2, b"b")).map_err(|_| "using the send-once right failed")?;
    ensure!(mach::send(&Message::new(once, MACH_MSG_TYPE_MOVE_SEND_ONCE, 3, b"c")).is_err(), "a send-once right worked twice");
    mach::receive(&mut r, reply, Some(0)).map_err(|_| "the send-once message did not arrive")?;
    ensure!(r.header.id == 2, "the wrong message arrived");
    // A moved send right is gone from the sender.
    let task = mach::task_self();
    let sender = mach::port_allocate(task, MACH_PORT_RIGHT_RECEIVE).map_err(|_| "allocate failed")?;
    mach::port_mod_refs(task, sender, MACH_PORT_RIGHT_SEND, 1).map_err(|_| "adding a send right failed")?;
    mach::send(&Message::new(sender, MACH_MSG_TYPE_MOVE_SEND, 4, b"d")).map_err(|_| "MOVE_SEND failed")?;
    ensure!(mach::send(&Message::new(sender, MACH_MSG_TYPE_COPY_SEND, 5, b"e")) == Err(mach::KernError(MACH_SEND_INVALID_DEST)), "a moved send right still sends");
    Ok(())
}

fn dead_port() -> Outcome {
    let task = mach::task_self();
    let port = mach::port_allocate(task, MACH_PORT_RIGHT_RECEIVE).map_err(|_| "allocate failed")?;
    mach::port_mod_refs(task, port, MACH_PORT_RIGHT_SEND, 1).map_err(|_| "adding a send right failed")?;
    mach::send(&Message::new(port, MACH_MSG_TYPE_COPY_SEND, 1, b"lost")).map_err(|_| "send failed")?;
    mach::port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1).map_err(|_| "destroying the receive right failed")?;
    ensure!(mach::send(&Message::new(port, MACH_MSG_TYPE_COPY_SEND, 2, b"x")) == Err(mach::KernError(MACH_SEND_INVALID_DEST)), "a dead port still takes messages");
    Ok(())
}

fn queue_limit() -> Outcome {
    let port = mach::mach_reply_port();
    for i in 0..QUEUE_LIMIT {
        mach::send(&Message::new(port, MACH_MSG_TYPE_MAKE_SEND, i as i32, b"q")).map_err(|_| "a send below the limit failed")?;
    }
    ensure!(mach::send(&Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 99, b"q")) == Err(mach::KernError(MACH_SEND_NO_BUFFER)), "a full queue is not MACH_SEND_NO_BUFFER");
    let mut r = Message::default();
    for i in 0..QUEUE_LIMIT {
        mach::receive(&mut r, port, Some(0)).map_err(|_| "a queued message was lost")?;
        ensure!(r.header.id == i as i32, "messages came out of order");
    }
    Ok(())
}

fn proc_list_and_orphans() -> Outcome {
    let me = bsd::getpid() as u32;
    let mut tasks = [bsd::ProcInfo::default(); 16];
    let n = bsd::proc_list(&mut tasks).map_err(|_| "proc_list failed")?;
    let mine = tasks[..n.min(16)].iter().find(|t| t.pid == me).ok_or("proc_list does not list the caller")?;
    ensure!(mine.name() == "xnutest" && mine.state == libsystem::abi::proc::STATE_RUNNING && mine.slot < 8, "the caller's record is wrong");
    ensure!(tasks[..n.min(16)].iter().any(|t| t.pid == 1 && t.name() == "launchd"), "launchd is not listed as pid 1");
    // A child that exits leaves its own child to launchd.
    ensure!(run(&["testchild", "orphan"])? == exited(0), "the orphaning child failed");
    let n = bsd::proc_list(&mut tasks).map_err(|_| "proc_list failed")?;
    let orphan = tasks[..n.min(16)].iter().find(|t| t.name() == "testchild").ok_or("the orphan is not listed")?;
    ensure!(orphan.ppid == 1, "the orphan was not given to launchd");
    ensure!(bsd::proc_list(&mut tasks[..0]).is_ok(), "an empty proc_list buffer failed");
    ensure!(bsd_raw(nr::PROC_LIST, [0x10, 100, 0, 0, 0, 0]) == Err(Errno(EFAULT)), "a bad proc_list buffer is not EFAULT");
    Ok(())
}

fn thread_ids_differ() -> Outcome {
    let mut tid = [0u8; 24];
    ensure!(run(&["testchild", "tid", fmt(&mut tid, bsd::thread_selfid() as i64)])? == exited(0), "a child has its parent's thread id");
    Ok(())
}

fn port_space_is_bounded() -> Outcome {
    // 1024 names, one of them the task port: 1023 ports, 10 hundreds.
    ensure!(run(&["testchild", "ports"])? == exited(10), "a task's port space is not bounded at 1024 names");
    ensure!(mach::mach_reply_port() != 0, "the bound is not per task");
    Ok(())
}

fn zombies_are_bounded() -> Outcome {
    ensure!(run(&["testchild", "zombies"])? == exited(0), "a parent that never waits was never refused (EAGAIN)");
    // launchd reaps the orphaned zombies; then spawns work again.
    let mut tries = 0;
    while bsd::posix_spawn("testchild", &["testchild", "exit", "0"], None).map(|pid| bsd::wait4(pid as i64, 0)).is_err() {
        tries += 1;
        ensure!(tries < 100, "spawns stayed refused after the zombies' parent exited");
        mach::sleep_ms(5).map_err(|_| "sleep failed")?;
    }
    Ok(())
}

/// `value` in decimal, in `buf`.
fn fmt(buf: &mut [u8; 24], value: i64) -> &str {
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut v = value.unsigned_abs();
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut len = 0;
    if value < 0 {
        buf[0] = b'-';
        len = 1;
    }
    for i in (0..n).rev() {
        buf[len] = digits[i];
        len += 1;
    }
    core::str::from_utf8(&buf[..len]).unwrap_or("0")
}
