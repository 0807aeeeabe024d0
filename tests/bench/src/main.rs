//! Benchmarks of raw seL4 5.0.0 operations, for a kernel built with the
//! `bench` config (release, fastpath, EL0 access to PMCCNTR_EL0). Under QEMU
//! with `-icount shift=0,sleep=off` the cycle counter counts guest
//! instructions, so every figure repeats exactly run to run. Method and
//! output are `sel4_bench`'s; lines go to the PL011 (a release kernel has no
//! debug console).
#![no_std]
#![no_main]

mod console;

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, IrqHandler, Notification, Page, Tcb, Untyped};
use sel4::{init_thread, BootInfo, Cap, CapRights, MessageInfo, ObjectType, VmAttributes, Word};

use pl011::Pl011;
use sel4_bench::{cycles, instructions_since_reset, Bench, RUNS, WARMUP};

sel4_root_task::root_task!(main);

/// The measuring (client) thread's priority; servers run at or above it.
const CLIENT_PRIORITY: u8 = 100;
const PAGE: Word = 4096;
/// Where the bench maps the PL011's registers.
const UART_VADDR: Word = 0x0f00_0000;

/// Slots, memory and addresses for the objects the benchmarks create.
struct Resources {
    ram: Cap<Untyped>,
    next_slot: Word,
    next_vaddr: Word,
}

impl Resources {
    fn create(&mut self, ty: ObjectType) -> Result<Word, sel4::Error> {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.ram.untyped_retype(ty as Word, 0, init_thread::CNODE, 0, 0, slot, 1)?;
        Ok(slot)
    }

    /// A fresh frame mapped read-write at the next free address (after a
    /// guard page); returns its cap's slot and its address.
    fn frame(&mut self) -> Result<(Word, Word), sel4::Error> {
        let frame = self.create(ObjectType::SmallPage)?;
        self.next_vaddr += 2 * PAGE;
        let vaddr = self.next_vaddr;
        let (ram, slot) = (self.ram, &mut self.next_slot);
        sel4_root_task::map_frame(Cap::<Page>::from_bits(frame), vaddr, CapRights::read_write(), VmAttributes::DEFAULT, &mut |ty| {
            *slot += 1;
            ram.untyped_retype(ty as Word, 0, init_thread::CNODE, 0, 0, *slot - 1, 1).map(|_| *slot - 1)
        })?;
        Ok((frame, vaddr))
    }

    /// Starts `entry(arg)` in a new thread at `priority` (one-page stack).
    fn spawn(&mut self, entry: extern "C" fn(Word) -> !, arg: Word, priority: u8) -> Result<Cap<Tcb>, sel4::Error> {
        self.spawn_with_fault_ep(entry, arg, priority, 0)
    }

    /// The same, with its faults going to the endpoint at `fault_ep`.
    fn spawn_with_fault_ep(&mut self, entry: extern "C" fn(Word) -> !, arg: Word, priority: u8, fault_ep: Word) -> Result<Cap<Tcb>, sel4::Error> {
        let tcb = Cap::<Tcb>::from_bits(self.create(ObjectType::Tcb)?);
        let (_, stack) = self.frame()?;
        let (ipc_frame, ipc) = self.frame()?;
        sel4_root_task::start_thread(&sel4_root_task::ThreadStart {
            tcb,
            fault_ep,
            mcp: 255,
            priority,
            ipc_buffer: ipc,
            ipc_buffer_frame: sel4::CPtr::from_bits(ipc_frame),
            pc: entry as *const () as Word,
            sp: stack + PAGE,
            args: [arg, 0, 0],
            resume: true,
        })?;
        Ok(tcb)
    }
}

/// Answers every call with an empty reply of the caller's length.
extern "C" fn echo_server(ep: Word) -> ! {
    let ep = Cap::<Endpoint>::from_bits(ep);
    let (mut info, _) = ep.recv();
    loop {
        (info, _) = ep.reply_recv(MessageInfo::new(0, 0, 0, info.length() as Word));
    }
}

/// A task that traps forever with `svc` and a number outside seL4's own (an
/// UnknownSyscall fault, as an OS personality's system calls are).
extern "C" fn syscall_trapper(_: Word) -> ! {
    loop {
        // SAFETY: the fault handler answers each trap by resuming us after the `svc`.
        unsafe { core::arch::asm!("svc #0", in("x7") 0x80_u64, out("x0") _, options(nostack)) };
    }
}

/// A task that executes an undefined instruction forever (a UserException fault).
extern "C" fn exception_trapper(_: Word) -> ! {
    loop {
        // SAFETY: the fault handler answers each one by resuming us after it.
        unsafe { core::arch::asm!("udf #0", options(nostack)) };
    }
}

/// One fault round trip, measured by the handler: it writes the trapping
/// task's registers back in its reply (pc past the trapping instruction, and
/// a result in word `result` if given), the task resumes and traps again, and
/// the next fault arrives. `words` is the reply's length (the fault's
/// register words), `pc` the index of the fault IP among them.
fn fault_round_trip(fault_ep: Cap<Endpoint>, words: Word, pc: usize, result: Option<usize>) -> u64 {
    let start = cycles();
    sel4::with_ipc_buffer(|b| {
        b.msg[pc] += 4;
        if let Some(r) = result {
            b.msg[r] = 42;
        }
    });
    fault_ep.reply_recv(MessageInfo::new(0, 0, 0, words));
    cycles() - start
}

/// When a Signal -> Wait waiter woke, in cycles.
static WOKE_AT: AtomicU64 = AtomicU64::new(0);

extern "C" fn waiter(ntfn: Word) -> ! {
    let ntfn = Cap::<Notification>::from_bits(ntfn);
    loop {
        ntfn.wait();
        WOKE_AT.store(cycles(), Ordering::SeqCst);
    }
}

/// Receives on an endpoint whose TCB has a bound notification, as a PD does.
extern "C" fn bound_waiter(ep: Word) -> ! {
    let ep = Cap::<Endpoint>::from_bits(ep);
    loop {
        ep.recv();
        WOKE_AT.store(cycles(), Ordering::SeqCst);
    }
}

/// The PL011 and its IRQ handler, for the IRQ waiter.
static UART_BASE: AtomicU64 = AtomicU64::new(0);
static UART_HANDLER: AtomicU64 = AtomicU64::new(0);
const UART_IRQ: i32 = 33;

/// Waits for the UART's TX interrupt, records when it arrived, then quiets
/// the device and acks the IRQ so the next transmit interrupts again.
extern "C" fn irq_waiter(ntfn: Word) -> ! {
    let ntfn = Cap::<Notification>::from_bits(ntfn);
    // SAFETY: `run` mapped the UART at UART_BASE before starting this thread.
    let uart = unsafe { Pl011::at(UART_BASE.load(Ordering::SeqCst)) };
    let handler = Cap::<IrqHandler>::from_bits(UART_HANDLER.load(Ordering::SeqCst));
    loop {
        ntfn.wait();
        WOKE_AT.store(cycles(), Ordering::SeqCst);
        uart.write(Pl011::ICR, Pl011::TX_INTERRUPT);
        let _ = handler.irq_handler_ack();
    }
}

fn run(bi: &'static BootInfo, booted_at: u64) -> Result<(), sel4::Error> {
    let mut res = Resources { ram: console::find_ram(bi).ok_or(sel4::Error::NotEnoughMemory)?, next_slot: bi.empty.start, next_vaddr: 0x10_0000_0000 };
    let uart = console::map(bi, UART_VADDR, &mut res.next_slot)?;
    let mut bench = Bench::new(uart);
    let _ = writeln!(bench.out(), "bench: seL4 5.0.0 (bench config: release, fastpath), {RUNS} runs after {WARMUP} warm-up");
    bench.value("boot_reset_to_root_task", "instructions", booted_at);
    init_thread::TCB.tcb_set_priority(CLIENT_PRIORITY)?;

    for (name, priority, length) in [
        ("call_replyrecv_same_prio_0w", CLIENT_PRIORITY, 0),
        ("call_replyrecv_same_prio_4w", CLIENT_PRIORITY, 4),
        ("call_replyrecv_same_prio_5w_slowpath", CLIENT_PRIORITY, 5),
        ("call_replyrecv_server_higher_0w", CLIENT_PRIORITY + 100, 0),
        ("call_replyrecv_server_higher_4w", CLIENT_PRIORITY + 100, 4),
        ("call_replyrecv_server_higher_64w", CLIENT_PRIORITY + 100, 64),
    ] {
        let ep = Cap::<Endpoint>::from_bits(res.create(ObjectType::Endpoint)?);
        res.spawn(echo_server, ep.bits(), priority)?;
        bench.run(name, || {
            let start = cycles();
            ep.call(MessageInfo::new(0, 0, 0, length));
            cycles() - start
        });
    }

    // Trap round trips, the floor of an OS personality's system calls: the
    // handler (us) above the trapping task, as a personality is above its tasks.
    use sel4::fault_layout::{unknown_syscall, user_exception};
    let trappers: [(&str, extern "C" fn(Word) -> !, usize, usize, Option<usize>); 2] = [
        ("unknown_syscall_fault_round_trip", syscall_trapper, unknown_syscall::SPSR + 1, unknown_syscall::FAULT_IP, Some(unknown_syscall::X0)),
        ("user_exception_fault_round_trip", exception_trapper, user_exception::SPSR + 1, user_exception::FAULT_IP, None),
    ];
    for (name, task, words, pc, result) in trappers {
        let fault_ep = Cap::<Endpoint>::from_bits(res.create(ObjectType::Endpoint)?);
        res.spawn_with_fault_ep(task, 0, CLIENT_PRIORITY - 1, fault_ep.bits())?;
        fault_ep.recv();
        bench.run(name, || fault_round_trip(fault_ep, words as Word, pc, result));
    }

    let ntfn = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    res.spawn(waiter, ntfn.bits(), CLIENT_PRIORITY + 100)?;
    bench.run("signal_to_wait_higher_prio", || {
        let start = cycles();
        ntfn.signal();
        WOKE_AT.load(Ordering::SeqCst).wrapping_sub(start)
    });

    // The same through a notification bound to a thread blocked in Recv on an
    // endpoint: how a PD that also serves PPCs is notified.
    let bound = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    let ep = Cap::<Endpoint>::from_bits(res.create(ObjectType::Endpoint)?);
    res.spawn(bound_waiter, ep.bits(), CLIENT_PRIORITY + 100)?.tcb_bind_notification(bound.cptr())?;
    bench.run("signal_to_bound_recv_higher_prio", || {
        let start = cycles();
        bound.signal();
        WOKE_AT.load(Ordering::SeqCst).wrapping_sub(start)
    });

    // IRQ delivery: from writing a byte (which raises the PL011's TX interrupt)
    // to a higher-priority thread waking on the IRQ's notification.
    let irq_ntfn = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    let handler = res.next_slot;
    res.next_slot += 1;
    init_thread::IRQ_CONTROL.irq_control_get(UART_IRQ, init_thread::CNODE, handler, 64)?;
    let handler = Cap::<IrqHandler>::from_bits(handler);
    handler.irq_handler_set_notification(irq_ntfn.cptr())?;
    UART_BASE.store(UART_VADDR, Ordering::SeqCst);
    UART_HANDLER.store(handler.bits(), Ordering::SeqCst);
    res.spawn(irq_waiter, irq_ntfn.bits(), CLIENT_PRIORITY + 100)?;
    uart.write(Pl011::ICR, Pl011::TX_INTERRUPT);
    uart.write(Pl011::IMSC, Pl011::TX_INTERRUPT);
    bench.run("irq_to_user_handler", || {
        let start = cycles();
        uart.write(Pl011::DR, u32::from(b'\r'));
        WOKE_AT.load(Ordering::SeqCst).wrapping_sub(start)
    });
    uart.write(Pl011::IMSC, 0);

    let idle = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    bench.run("signal_no_waiter", || {
        let start = cycles();
        idle.signal();
        cycles() - start
    });

    bench.run("yield", || {
        let start = cycles();
        sel4::r#yield();
        cycles() - start
    });
    let _ = writeln!(bench.out(), "*** system ready ***");
    Ok(())
}

fn main(bi: &'static BootInfo) -> ! {
    // Without a console there is nowhere to report; the harness then times out.
    let booted_at = instructions_since_reset();
    let _ = run(bi, booted_at);
    sel4_root_task::halt()
}
