//! ASID pools: making them from ASID control, assigning VSpaces from them,
//! running out of either, and running threads under every pool. 5.0.0's
//! AArch64 ASID table has 2^asidHighBits = 128 pools of 2^asidLowBits = 512
//! ASIDs (`arch/64/mode/object/structures.h`); the root task's pool takes
//! the first. The pools a test makes come from its untyped and go with it,
//! which frees their table entries for the next test.

use sel4::cap_type::{AsidPool, Endpoint, PageGlobalDirectory, Untyped};
use sel4::consts::ASID_POOL_BITS;
use sel4::{init_thread, Cap, CapRights, Error, MessageInfo, ObjectType, VmAttributes, Word};
use sel4_test::{check_eq, check_err, test_case, Env, Failure, ResultExt, TestResult};

use crate::ipc::{pack, unpack};

const POOLS: usize = 128;
const POOL_SIZE: usize = 512;

/// Makes a pool from a fresh untyped of the right size.
fn make_pool(env: &mut Env) -> Result<sel4::Result<Cap<AsidPool>>, Failure> {
    let memory: Cap<Untyped> = env.create(ObjectType::Untyped, ASID_POOL_BITS)?;
    let slot = env.alloc_slot()?;
    Ok(init_thread::ASID_CONTROL.asid_control_make_pool(memory, env.cnode, slot, 64).map(|()| Cap::from_bits(slot)))
}

fn new_vspace(env: &mut Env) -> Result<Cap<PageGlobalDirectory>, Failure> {
    env.create(ObjectType::PageGlobalDirectory, 0)
}

test_case!(ASID0001, "a new pool assigns a fresh VSpace; one that already has an ASID is InvalidCapability (sel4test VSPACE0002)", asid0001);
fn asid0001(env: &mut Env) -> TestResult {
    let pool = make_pool(env)?.or_fail("make a pool")?;
    check_err!(pool.asid_pool_assign(env.vspace.cptr()), Error::InvalidCapability);
    let vspace = new_vspace(env)?;
    pool.asid_pool_assign(vspace.cptr()).or_fail("assign a fresh VSpace")?;
    Ok(())
}

test_case!(ASID0002, "every pool but the root task's can be made (sel4test VSPACE0003)", asid0002);
fn asid0002(env: &mut Env) -> TestResult {
    for _ in 1..POOLS {
        make_pool(env)?.or_fail("make a pool")?;
    }
    Ok(())
}

test_case!(ASID0003, "after every free pool is made, one more is DeleteFirst; the pools of earlier tests were freed (sel4test VSPACE0004)", asid0003);
fn asid0003(env: &mut Env) -> TestResult {
    for _ in 1..POOLS {
        make_pool(env)?.or_fail("make a pool")?;
    }
    check_err!(make_pool(env)?, Error::DeleteFirst);
    Ok(())
}

test_case!(ASID0004, "a new pool assigns exactly 512 VSpaces, then DeleteFirst (sel4test VSPACE0005)", asid0004);
fn asid0004(env: &mut Env) -> TestResult {
    let pool = make_pool(env)?.or_fail("make a pool")?;
    for _ in 0..POOL_SIZE {
        let vspace = new_vspace(env)?;
        pool.asid_pool_assign(vspace.cptr()).or_fail("assign a VSpace")?;
    }
    let vspace = new_vspace(env)?;
    check_err!(pool.asid_pool_assign(vspace.cptr()), Error::DeleteFirst);
    Ok(())
}

/// Where `toucher` writes in its own VSpace.
const TOUCHED: Word = 0x1000_0000;

/// Writes the tag at `TOUCHED`, reads it back and sends what it read on the
/// endpoint. `arg` packs the tag and the endpoint's cptr in the process.
fn toucher(arg: Word) {
    let (tag, ep) = unpack(arg);
    let at = TOUCHED as *mut u32;
    // SAFETY: the test maps a frame at TOUCHED in this thread's VSpace.
    let read = unsafe {
        at.write_volatile(tag as u32);
        at.read_volatile()
    };
    sel4::with_ipc_buffer(|b| b.msg[0] = Word::from(read));
    Cap::<Endpoint>::from_bits(ep).send(MessageInfo::new(0, 0, 0, 1));
}

test_case!(ASID0005, "under each of the 127 free pools a thread in a VSpace of that pool writes and reads back its own memory (sel4test VSPACE0006)", asid0005);
fn asid0005(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    // Each process is removed before the next; its objects come from here.
    let memory: Cap<Untyped> = env.create(ObjectType::Untyped, 17)?;
    for tag in 0..(POOLS - 1) as Word {
        let pool = make_pool(env)?.or_fail("make a pool")?;
        let read = env.scope(memory, |env| {
            let mut process = env.process(pool)?;
            let frame = env.create(ObjectType::SmallPage, 0)?;
            env.map_in_process(&mut process, frame, TOUCHED, CapRights::read_write(), VmAttributes::DEFAULT)?;
            let theirs = env.give(&mut process, ep)?;
            env.process_thread(&mut process, toucher, pack(tag, theirs.bits()), 150, None, true)?;
            let (info, _) = ep.recv();
            check_eq!(info.length(), 1);
            Ok(sel4::with_ipc_buffer(|b| b.msg[0]))
        })?;
        check_eq!(read, tag);
    }
    Ok(())
}
