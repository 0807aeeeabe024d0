//! Benchmarks of raw seL4 5.0.0 operations, for a kernel built with the
//! `bench` config (release, fastpath, EL0 access to PMCCNTR_EL0). Under QEMU
//! with `-icount shift=0,sleep=off` the cycle counter counts guest
//! instructions, so every figure repeats exactly run to run.
//!
//! Method (sel4bench's): WARMUP iterations are discarded, RUNS are measured one
//! by one, the minimum cost of reading the counter twice is subtracted, and
//! min / median / mean / max / stddev are reported. Output: one `BENCH {json}`
//! line per benchmark on the PL011 (a release kernel has no debug console).
#![no_std]
#![no_main]

mod console;
mod stats;

use core::arch::asm;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, IrqHandler, Notification, Page, Tcb, Untyped};
use sel4::{init_thread, BootInfo, Cap, CapRights, MessageInfo, ObjectType, VmAttributes, Word};

use sel4_root_task::pl011::Pl011;
use stats::Summary;

sel4_root_task::root_task!(main);

const WARMUP: usize = 100;
const RUNS: usize = 1000;
/// The measuring (client) thread's priority; servers run at or above it.
const CLIENT_PRIORITY: u8 = 100;
const PAGE: Word = 4096;
/// Where the bench maps the PL011's registers.
const UART_VADDR: Word = 0x0f00_0000;

/// Reads the cycle counter (guest instructions under -icount).
#[inline(always)]
fn cycles() -> u64 {
    let c: u64;
    // SAFETY: the bench kernel lets EL0 read PMCCNTR_EL0; `isb` keeps the read in program order.
    unsafe { asm!("isb", "mrs {}, pmccntr_el0", out(reg) c, options(nostack)) };
    c
}

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
    fn spawn(&mut self, entry: extern "C" fn(Word) -> !, arg: Word, priority: u8) -> Result<(), sel4::Error> {
        let tcb = Cap::<Tcb>::from_bits(self.create(ObjectType::Tcb)?);
        let (_, stack) = self.frame()?;
        let (ipc_frame, ipc) = self.frame()?;
        sel4_root_task::start_thread(&sel4_root_task::ThreadStart {
            tcb,
            fault_ep: 0,
            mcp: 255,
            priority,
            ipc_buffer: ipc,
            ipc_buffer_frame: sel4::CPtr::from_bits(ipc_frame),
            pc: entry as *const () as Word,
            sp: stack + PAGE,
            args: [arg, 0, 0],
            resume: true,
        })
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

/// When a Signal -> Wait waiter woke, in cycles.
static WOKE_AT: AtomicU64 = AtomicU64::new(0);

extern "C" fn waiter(ntfn: Word) -> ! {
    let ntfn = Cap::<Notification>::from_bits(ntfn);
    loop {
        ntfn.wait();
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

/// Instructions since QEMU reset: under -icount shift=0 one instruction is
/// 1 ns and the generic counter ticks at 62.5 MHz, so 16 ns per tick.
fn instructions_since_reset() -> u64 {
    let ticks: u64;
    // SAFETY: the bench kernel lets EL0 read CNTVCT_EL0.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nostack)) };
    ticks * 16
}

static mut SAMPLES: [u64; RUNS] = [0; RUNS];

/// Runs `measure` WARMUP + RUNS times; each call returns one sample in cycles.
fn bench(out: &mut Pl011, name: &str, overhead: u64, mut measure: impl FnMut() -> u64) {
    for _ in 0..WARMUP {
        measure();
    }
    // SAFETY: single-threaded use; no other code touches SAMPLES.
    let samples = unsafe { &mut *core::ptr::addr_of_mut!(SAMPLES) };
    for s in samples.iter_mut() {
        *s = measure().saturating_sub(overhead);
    }
    let _ = writeln!(out, "BENCH {{\"name\":\"{name}\",{}}}", Summary::of(samples));
}

fn run(bi: &'static BootInfo, booted_at: u64) -> Result<(), sel4::Error> {
    let mut res = Resources { ram: console::find_ram(bi).ok_or(sel4::Error::NotEnoughMemory)?, next_slot: bi.empty.start, next_vaddr: 0x10_0000_0000 };
    let mut out = console::map(bi, UART_VADDR, &mut res.next_slot)?;
    let _ = writeln!(out, "bench: seL4 5.0.0 (bench config: release, fastpath), {RUNS} runs after {WARMUP} warm-up");
    let _ = writeln!(out, "BENCH {{\"name\":\"boot_reset_to_root_task\",\"instructions\":{booted_at}}}");
    init_thread::TCB.tcb_set_priority(CLIENT_PRIORITY)?;

    // The cost of reading the counter, subtracted from every other sample.
    let mut overhead_samples = [0u64; 64];
    for s in overhead_samples.iter_mut() {
        let a = cycles();
        *s = cycles() - a;
    }
    let overhead = overhead_samples.iter().copied().min().unwrap_or(0);
    bench(&mut out, "counter_read_overhead", 0, || {
        let a = cycles();
        cycles() - a
    });

    for (name, priority, length) in [
        ("call_replyrecv_same_prio_0w", CLIENT_PRIORITY, 0),
        ("call_replyrecv_same_prio_4w", CLIENT_PRIORITY, 4),
        ("call_replyrecv_same_prio_5w_slowpath", CLIENT_PRIORITY, 5),
        ("call_replyrecv_server_higher_0w", CLIENT_PRIORITY + 100, 0),
    ] {
        let ep = Cap::<Endpoint>::from_bits(res.create(ObjectType::Endpoint)?);
        res.spawn(echo_server, ep.bits(), priority)?;
        bench(&mut out, name, overhead, || {
            let start = cycles();
            ep.call(MessageInfo::new(0, 0, 0, length));
            cycles() - start
        });
    }

    let ntfn = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    res.spawn(waiter, ntfn.bits(), CLIENT_PRIORITY + 100)?;
    bench(&mut out, "signal_to_wait_higher_prio", overhead, || {
        let start = cycles();
        ntfn.signal();
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
    out.write(Pl011::ICR, Pl011::TX_INTERRUPT);
    out.write(Pl011::IMSC, Pl011::TX_INTERRUPT);
    let mut samples = [0u64; RUNS];
    for i in 0..WARMUP + RUNS {
        let start = cycles();
        out.write(Pl011::DR, u32::from(b'\r'));
        let sample = WOKE_AT.load(Ordering::SeqCst).wrapping_sub(start).saturating_sub(overhead);
        if i >= WARMUP {
            samples[i - WARMUP] = sample;
        }
    }
    out.write(Pl011::IMSC, 0);
    let _ = writeln!(out, "BENCH {{\"name\":\"irq_to_user_handler\",{}}}", Summary::of(&mut samples));

    let idle = Cap::<Notification>::from_bits(res.create(ObjectType::Notification)?);
    bench(&mut out, "signal_no_waiter", overhead, || {
        let start = cycles();
        idle.signal();
        cycles() - start
    });

    bench(&mut out, "yield", overhead, || {
        let start = cycles();
        sel4::r#yield();
        cycles() - start
    });
    let _ = writeln!(out, "*** system ready ***");
    Ok(())
}

fn main(bi: &'static BootInfo) -> ! {
    // Without a console there is nowhere to report; the harness then times out.
    let booted_at = instructions_since_reset();
    let _ = run(bi, booted_at);
    sel4_root_task::halt()
}
