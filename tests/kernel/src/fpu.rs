//! FPU: floating-point state survives context switches.

use core::arch::asm;
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::Notification;
use sel4::{Cap, Word};
use sel4_test::{check, check_eq, test_case, Env, TestResult};

/// The test body's priority (set by the driver); the workers share it.
const BODY_PRIORITY: u8 = 100;

test_case!(FPU0001, "basic double-precision arithmetic gives exact IEEE results (sel4test FPU0000)", fpu0001);
fn fpu0001(_env: &mut Env) -> TestResult {
    let (a, b) = (black_box(1.5f64), black_box(2.25f64));
    check_eq!(a * b, 3.375);
    check_eq!(b / a, 1.5);
    check_eq!(black_box(1.0f64) / 3.0 * 3.0, 1.0);
    check!(black_box(0.1f64) + 0.2 != 0.3, "0.1 + 0.2 rounded to exactly 0.3");
    check_eq!(black_box(-7.75f64) as i64, -7);
    Ok(())
}

/// Per worker: rounds done and registers found changed.
static ROUNDS_DONE: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static CORRUPTED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// Notification the workers signal when they finish, and how many have.
static DONE: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);

fn finish() {
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(DONE.load(Ordering::SeqCst)).signal();
}

/// Starts two workers at the body's priority and waits until both finish.
fn run_pair(env: &mut Env, worker: fn(Word)) -> TestResult {
    for i in 0..2 {
        ROUNDS_DONE[i].store(0, Ordering::SeqCst);
        CORRUPTED[i].store(0, Ordering::SeqCst);
    }
    FINISHED.store(0, Ordering::SeqCst);
    let done = env.notification()?;
    DONE.store(done.bits(), Ordering::SeqCst);
    env.spawn(worker, 0, BODY_PRIORITY)?;
    env.spawn(worker, 1, BODY_PRIORITY)?;
    // Two signals may merge into one wake-up, hence the count.
    while FINISHED.load(Ordering::SeqCst) < 2 {
        done.wait();
    }
    Ok(())
}

/// Instructions over all 32 SIMD registers, `$each` giving each one's lines.
macro_rules! all_vregs {
    ($each:ident) => {
        concat!(
            $each!(0), $each!(1), $each!(2), $each!(3), $each!(4), $each!(5), $each!(6), $each!(7),
            $each!(8), $each!(9), $each!(10), $each!(11), $each!(12), $each!(13), $each!(14), $each!(15),
            $each!(16), $each!(17), $each!(18), $each!(19), $each!(20), $each!(21), $each!(22), $each!(23),
            $each!(24), $each!(25), $each!(26), $each!(27), $each!(28), $each!(29), $each!(30), $each!(31)
        )
    };
}

/// v<n> = x9 in both lanes, then x9 += 1.
macro_rules! fill_vreg {
    ($n:literal) => {
        concat!("dup v", $n, ".2d, x9\n", "add x9, x9, #1\n")
    };
}

/// x12 += number of lanes of v<n> that differ from x10, then x10 += 1.
macro_rules! check_vreg {
    ($n:literal) => {
        concat!(
            "mov x11, v", $n, ".d[0]\n", "cmp x11, x10\n", "cinc x12, x12, ne\n",
            "mov x11, v", $n, ".d[1]\n", "cmp x11, x10\n", "cinc x12, x12, ne\n",
            "add x10, x10, #1\n"
        )
    };
}

/// Fills all 64 lanes of v0..v31 with seed, seed+1, ..; yields (in the same
/// asm block, so nothing but the kernel can touch them in between); returns
/// how many lanes came back changed.
fn fill_yield_check(seed: u64) -> u64 {
    let changed: u64;
    // SAFETY: the block declares every register it writes (clobber_abi covers
    // x0-x18 and all of v0-v31); Yield itself changes no user state.
    unsafe {
        asm!(
            all_vregs!(fill_vreg),
            "svc #0",
            "mov x12, #0",
            all_vregs!(check_vreg),
            in("x7") sel4::sys::syscall::YIELD,
            inout("x9") seed => _,
            inout("x10") seed => _,
            out("x12") changed,
            clobber_abi("C"),
        );
    }
    changed
}

const FILL_ROUNDS: u64 = 200;

fn register_worker(me: Word) {
    let me = me as usize;
    for round in 0..FILL_ROUNDS {
        let seed = ((me as u64 + 1) << 32) | (round << 8);
        CORRUPTED[me].fetch_add(fill_yield_check(seed), Ordering::SeqCst);
        ROUNDS_DONE[me].fetch_add(1, Ordering::SeqCst);
    }
    finish();
}

test_case!(FPU0002, "two threads fill all 32 SIMD registers with their own values and yield to each other; none change", fpu0002);
fn fpu0002(env: &mut Env) -> TestResult {
    run_pair(env, register_worker)?;
    for i in 0..2 {
        check_eq!(ROUNDS_DONE[i].load(Ordering::SeqCst), FILL_ROUNDS);
        check_eq!(CORRUPTED[i].load(Ordering::SeqCst), 0);
    }
    Ok(())
}

/// Spins a summing worker may make waiting for the other; far more than one
/// time slice, so reaching it means the timer never switched threads.
const SPIN_LIMIT: u64 = 400_000_000;
/// Terms each worker adds at least, so both are mid-sum when preempted.
const MIN_TERMS: u64 = 100_000;

/// Adds 0 + 1 + 2 + .. in an f64 (exact below 2^53) without yielding until the
/// other worker has also started; a preemption that lost FPU state would
/// make the sum wrong. CORRUPTED counts a wrong sum or a missing preemption.
fn summing_worker(me: Word) {
    let (me, other) = (me as usize, 1 - me as usize);
    ROUNDS_DONE[me].store(1, Ordering::SeqCst);
    let (mut sum, mut terms) = (0.0f64, 0u64);
    while terms < SPIN_LIMIT && (terms < MIN_TERMS || ROUNDS_DONE[other].load(Ordering::Relaxed) == 0) {
        sum += terms as f64;
        terms += 1;
    }
    let exact = terms * (terms - 1) / 2;
    if terms == SPIN_LIMIT || sum != exact as f64 {
        CORRUPTED[me].store(1, Ordering::SeqCst);
    }
    finish();
}

test_case!(FPU0003, "two equal-priority threads summing in f64 through timer preemptions both get exact sums (sel4test FPU0001)", fpu0003);
fn fpu0003(env: &mut Env) -> TestResult {
    run_pair(env, summing_worker)?;
    for (i, corrupted) in CORRUPTED.iter().enumerate() {
        check!(corrupted.load(Ordering::SeqCst) == 0, "worker {i}: wrong f64 sum, or never preempted");
    }
    Ok(())
}

/// What the FPU owner leaves in d8, and where it tells us it is done.
const OWNER_MAGIC: u64 = 0x0f9a_5ec7_0f9a_5ec7;
static OWNER_DONE: AtomicU64 = AtomicU64::new(0);
/// Nobody signals it: the owner waits there until it is deleted.
static OWNER_PARK: AtomicU64 = AtomicU64::new(0);

/// Puts a magic value in d8 (taking the FPU), tells the body, then blocks.
fn fpu_owner(_: Word) {
    // SAFETY: only writes d8, which nothing else in this thread uses.
    unsafe { asm!("fmov d8, {0}", in(reg) OWNER_MAGIC, out("d8") _) };
    Cap::<Notification>::from_bits(OWNER_DONE.load(Ordering::SeqCst)).signal();
    let park = Cap::<Notification>::from_bits(OWNER_PARK.load(Ordering::SeqCst));
    loop {
        park.wait();
    }
}

/// Takes the FPU: the kernel then saves the previous owner's registers.
fn fpu_taker(_: Word) {
    // SAFETY: only writes d9, which nothing else in this thread uses.
    unsafe { asm!("fmov d9, xzr", out("d9") _) };
    Cap::<Notification>::from_bits(OWNER_DONE.load(Ordering::SeqCst)).signal();
}

test_case!(FPU0004, "deleting the thread that owns the FPU leaves no FPU save into its freed memory (upstream 7d91ce8e8)", fpu0004);
fn fpu0004(env: &mut Env) -> TestResult {
    use sel4::cap_type::{Page, Tcb, Untyped};
    use sel4::{CapRights, ObjectType, VmAttributes};
    use sel4_test::ResultExt;
    let done = env.notification()?;
    OWNER_DONE.store(done.bits(), Ordering::SeqCst);
    OWNER_PARK.store(env.notification()?.bits(), Ordering::SeqCst);
    // The owner's TCB in a page-sized untyped of its own, to be a frame later.
    let memory: Cap<Untyped> = env.create(ObjectType::Untyped, 12)?;
    let tcb: Cap<Tcb> = Cap::from_bits(env.alloc_slot()?);
    memory.untyped_retype(ObjectType::Tcb as Word, 0, env.cnode, 0, 0, tcb.bits(), 1).or_fail("retype the TCB")?;
    env.thread_on(tcb, fpu_owner, 0, BODY_PRIORITY + 1, None, true)?;
    done.wait();
    // It owns the FPU now. Delete it, and make its memory a frame we can read.
    env.cnode.cnode_delete(tcb.bits(), 64).or_fail("delete the owner")?;
    let frame: Cap<Page> = Cap::from_bits(env.alloc_slot()?);
    memory.untyped_retype(ObjectType::SmallPage as Word, 0, env.cnode, 0, 0, frame.bits(), 1).or_fail("retype the frame")?;
    let at = env.reserve_pages(1)?;
    env.map(frame, at, CapRights::read_write(), VmAttributes::DEFAULT)?;
    // Someone takes the FPU: a stale owner pointer would now be saved through.
    env.spawn(fpu_taker, 0, BODY_PRIORITY + 1)?;
    done.wait();
    // SAFETY: the frame is mapped read-write at `at` for this test.
    let found = (0..512).any(|i| unsafe { core::ptr::read_volatile((at as *const u64).add(i)) } == OWNER_MAGIC);
    #[cfg(patch_fpu_release_on_delete)]
    check!(!found, "the dead owner's FPU registers were saved into memory retyped after its deletion");
    // 5.0.0 keeps the dead thread as the FPU's owner and saves into its old TCB.
    #[cfg(not(patch_fpu_release_on_delete))]
    check!(found, "the stale FPU save did not happen (the bug this patch fixes)");
    Ok(())
}
