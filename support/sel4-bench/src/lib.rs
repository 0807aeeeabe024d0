//! Benchmark plumbing shared by the raw-kernel bench (a root task) and the
//! runtime bench (PDs). It needs a kernel built with the `bench` config,
//! which lets EL0 read PMCCNTR_EL0 and CNTVCT_EL0.
//!
//! Method (sel4bench's): `WARMUP` iterations are discarded, `RUNS` are
//! measured one by one, the minimum cost of reading the counter twice is
//! subtracted, and min / median / mean / max / stddev are reported as one
//! `BENCH {json}` line per benchmark, which `support/scripts/bench-report.py`
//! turns into the table and `results.json`.
#![no_std]

mod summary;

use core::arch::asm;
use core::fmt;

pub use summary::Summary;

pub const WARMUP: usize = 100;
pub const RUNS: usize = 1000;

/// Reads the cycle counter: guest instructions under `-icount shift=0`.
#[inline(always)]
pub fn cycles() -> u64 {
    let c: u64;
    // SAFETY: the bench kernel lets EL0 read PMCCNTR_EL0; `isb` keeps the read in program order.
    unsafe { asm!("isb", "mrs {}, pmccntr_el0", out(reg) c, options(nostack)) };
    c
}

/// Instructions since QEMU reset: under `-icount shift=0` one instruction is
/// 1 ns and the generic counter ticks at 62.5 MHz, so 16 ns per tick.
pub fn instructions_since_reset() -> u64 {
    let ticks: u64;
    // SAFETY: the bench kernel lets EL0 read CNTVCT_EL0.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nostack)) };
    ticks * 16
}

/// Retired instructions, every exception level's but EL2, from PMU event
/// counter 0 (32 bits, so compare with `wrapping_sub`). Unlike the cycle
/// counter, which QEMU derives from the virtual clock, it stands still
/// while the CPU waits for an interrupt (a disk transfer, say), so it
/// counts only work. [`start_instructions`] sets it up first.
#[inline(always)]
pub fn instructions() -> u32 {
    let c: u64;
    // SAFETY: the bench kernel lets EL0 use the PMU (PMUSERENR_EL0.EN).
    unsafe { asm!("isb", "mrs {}, pmevcntr0_el0", out(reg) c, options(nostack)) };
    c as u32
}

const INST_RETIRED: u64 = 0x08;
/// PMEVTYPER's filter bit that leaves out EL1 (the kernel, and its idle
/// thread).
const EXCLUDE_EL1: u64 = 1 << 31;

/// Makes event counter 0 count retired instructions (INST_RETIRED, 0x08).
pub fn start_instructions() {
    program_counter0(INST_RETIRED);
}

/// The same, of EL0 only: every PD's, none of the kernel's. For a call that
/// waits for a device: while it waits, the kernel's timer ticks come as
/// the device's real time allows, which would make the count vary.
pub fn start_user_instructions() {
    program_counter0(INST_RETIRED | EXCLUDE_EL1);
}

fn program_counter0(event: u64) {
    // SAFETY: as for `instructions`; counter 0 is no one else's.
    unsafe {
        asm!("msr pmevtyper0_el0, {}", "msr pmcntenset_el0, {}", "isb", in(reg) event, in(reg) 1u64, options(nostack));
    }
}

/// Runs benchmarks and prints their `BENCH` lines to `out`.
pub struct Bench<W> {
    out: W,
    /// The counter's own cost, subtracted from every sample.
    overhead: u64,
    samples: heapless::Vec<u64, RUNS>,
}

impl<W: fmt::Write> Bench<W> {
    /// Measures (and reports as `counter_read_overhead`) the cost of reading
    /// the counter twice, which every later sample has subtracted.
    pub fn new(out: W) -> Self {
        let mut bench = Bench { out, overhead: 0, samples: heapless::Vec::new() };
        bench.overhead = bench.run("counter_read_overhead", || {
            let start = cycles();
            cycles() - start
        });
        bench
    }

    /// Discards `WARMUP` calls of `measure`, then reports `RUNS` samples,
    /// each one call's result in cycles. Returns the minimum.
    pub fn run(&mut self, name: &str, measure: impl FnMut() -> u64) -> u64 {
        self.run_with(name, &[], measure)
    }

    /// As `run`, with `extra` figures (`"key":value`) added to the JSON line.
    pub fn run_with(&mut self, name: &str, extra: &[(&str, u64)], measure: impl FnMut() -> u64) -> u64 {
        self.run_counted(name, WARMUP, RUNS, extra, measure)
    }

    /// As `run`, with `warmup` and `runs` (at most `RUNS`) for a benchmark
    /// whose every call leaves output or costs much (a spawn, a console write).
    pub fn run_few(&mut self, name: &str, warmup: usize, runs: usize, measure: impl FnMut() -> u64) -> u64 {
        self.run_counted(name, warmup, runs.min(RUNS), &[], measure)
    }

    /// `run_few` with `extra` figures, as `run_with`.
    pub fn run_few_with(&mut self, name: &str, warmup: usize, runs: usize, extra: &[(&str, u64)], measure: impl FnMut() -> u64) -> u64 {
        self.run_counted(name, warmup, runs.min(RUNS), extra, measure)
    }

    /// For a call that waits for a device, whose slowest samples move with
    /// the device's real time (an interrupt lands in one or not): `warmup`,
    /// then `runs` samples, and only their median reported, as
    /// `"instructions"`, which repeats exactly where the spread does not.
    pub fn median_few_with(&mut self, name: &str, warmup: usize, runs: usize, extra: &[(&str, u64)], mut measure: impl FnMut() -> u64) -> u64 {
        for _ in 0..warmup {
            measure();
        }
        self.samples.clear();
        while self.samples.len() < runs.clamp(1, RUNS) {
            let sample = measure().saturating_sub(self.overhead);
            // Cannot fail: at most `RUNS`, the vector's capacity.
            let _ = self.samples.push(sample);
        }
        let median = Summary::of(&mut self.samples).median;
        let _ = write!(self.out, "BENCH {{\"name\":\"{name}\",\"instructions\":{median},\"runs\":{}", self.samples.len());
        for (key, value) in extra {
            let _ = write!(self.out, ",\"{key}\":{value}");
        }
        let _ = writeln!(self.out, "}}");
        median
    }

    fn run_counted(&mut self, name: &str, warmup: usize, runs: usize, extra: &[(&str, u64)], mut measure: impl FnMut() -> u64) -> u64 {
        for _ in 0..warmup {
            measure();
        }
        self.samples.clear();
        while self.samples.len() < runs.max(1) {
            let sample = measure().saturating_sub(self.overhead);
            // Cannot fail: `runs` is at most `RUNS`, the vector's capacity.
            let _ = self.samples.push(sample);
        }
        let summary = Summary::of(&mut self.samples);
        let _ = write!(self.out, "BENCH {{\"name\":\"{name}\",{summary}");
        for (key, value) in extra {
            let _ = write!(self.out, ",\"{key}\":{value}");
        }
        let _ = writeln!(self.out, "}}");
        summary.min
    }

    /// Reports one figure measured once, such as a boot time.
    pub fn value(&mut self, name: &str, key: &str, value: u64) {
        let _ = writeln!(self.out, "BENCH {{\"name\":\"{name}\",\"{key}\":{value}}}");
    }

    /// The console, for lines that are not results.
    pub fn out(&mut self) -> &mut W {
        &mut self.out
    }
}
