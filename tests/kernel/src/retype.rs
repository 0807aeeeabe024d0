//! Untyped retype: every object type and size, fan-out, exhaustion, reuse after revoke.

use sel4::cap_type::{Page, Untyped};
use sel4::consts::*;
use sel4::{Cap, Error, ObjectType, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, ResultExt, TestResult};

/// Retypes `count` objects of `ty` from `untyped` into consecutive slots starting at `slot`.
fn retype(env: &Env, untyped: Cap<Untyped>, ty: ObjectType, size_bits: Word, slot: Word, count: Word) -> sel4::Result<()> {
    untyped.untyped_retype(ty as Word, size_bits, env.cnode, 0, 0, slot, count)
}

/// A child untyped of `2^bits` bytes carved from the test's untyped.
fn child_untyped(env: &mut Env, bits: Word) -> Result<Cap<Untyped>, sel4_test::Failure> {
    env.create(ObjectType::Untyped, bits)
}

/// Checks that one object of `ty` (size argument `size_bits`) takes exactly
/// `2^object_bits` bytes: it fits in an untyped of that size and a second one does not.
fn check_exact_fit(env: &mut Env, ty: ObjectType, size_bits: Word, object_bits: Word) -> TestResult {
    let untyped = child_untyped(env, object_bits)?;
    let (first, second) = (env.alloc_slot()?, env.alloc_slot()?);
    retype(env, untyped, ty, size_bits, first, 1).or_fail("retype the object that should fit")?;
    check_err!(retype(env, untyped, ty, size_bits, second, 1), Error::NotEnoughMemory);
    Ok(())
}

test_case!(RETYPE0001, "TCB, endpoint and notification objects each take exactly their fixed size", retype0001);
fn retype0001(env: &mut Env) -> TestResult {
    check_exact_fit(env, ObjectType::Tcb, 0, TCB_BITS)?;
    check_exact_fit(env, ObjectType::Endpoint, 0, ENDPOINT_BITS)?;
    check_exact_fit(env, ObjectType::Notification, 0, NOTIFICATION_BITS)
}

test_case!(RETYPE0002, "small (4 KiB) and large (2 MiB) frames each take exactly their size", retype0002);
fn retype0002(env: &mut Env) -> TestResult {
    check_exact_fit(env, ObjectType::SmallPage, 0, PAGE_BITS)?;
    check_exact_fit(env, ObjectType::LargePage, 0, LARGE_PAGE_BITS)
}

test_case!(RETYPE0003, "page table, page directory, upper directory and global directory each take one page", retype0003);
fn retype0003(env: &mut Env) -> TestResult {
    check_exact_fit(env, ObjectType::PageTable, 0, PAGE_TABLE_BITS)?;
    check_exact_fit(env, ObjectType::PageDirectory, 0, PAGE_DIR_BITS)?;
    check_exact_fit(env, ObjectType::PageUpperDirectory, 0, PUD_BITS)?;
    check_exact_fit(env, ObjectType::PageGlobalDirectory, 0, PGD_BITS)
}

test_case!(RETYPE0004, "a CapTable of 2^n slots takes 2^(n+SLOT_BITS) bytes; 0 slot bits is InvalidArgument", retype0004);
fn retype0004(env: &mut Env) -> TestResult {
    for slot_bits in [1, 4, 8, 12] {
        check_exact_fit(env, ObjectType::CapTable, slot_bits, slot_bits + SLOT_BITS)?;
    }
    let slot = env.alloc_slot()?;
    check_err!(retype(env, env.untyped(), ObjectType::CapTable, 0, slot, 1), Error::InvalidArgument);
    Ok(())
}

test_case!(RETYPE0005, "untypeds of 2^4..2^22 bytes fit exactly; below 4 bits is InvalidArgument, above 47 RangeError", retype0005);
fn retype0005(env: &mut Env) -> TestResult {
    for bits in [MIN_UNTYPED_BITS, 5, 12, 16, 20, 22] {
        check_exact_fit(env, ObjectType::Untyped, bits, bits)?;
    }
    let slot = env.alloc_slot()?;
    check_err!(retype(env, env.untyped(), ObjectType::Untyped, MIN_UNTYPED_BITS - 1, slot, 1), Error::InvalidArgument);
    check_err!(retype(env, env.untyped(), ObjectType::Untyped, MAX_UNTYPED_BITS + 1, slot, 1), Error::RangeError);
    Ok(())
}

test_case!(RETYPE0006, "a 1 GiB huge page does not fit in the test's 8 MiB untyped: NotEnoughMemory", retype0006);
fn retype0006(env: &mut Env) -> TestResult {
    let slot = env.alloc_slot()?;
    check_err!(retype(env, env.untyped(), ObjectType::HugePage, 0, slot, 1), Error::NotEnoughMemory);
    Ok(())
}

test_case!(RETYPE0007, "one retype makes up to RETYPE_FAN_OUT_LIMIT objects; 0 or one more is RangeError", retype0007);
fn retype0007(env: &mut Env) -> TestResult {
    let limit = sel4::config::RETYPE_FAN_OUT_LIMIT;
    let first = env.alloc_slot()?;
    for _ in 1..=limit {
        env.alloc_slot()?;
    }
    check_err!(retype(env, env.untyped(), ObjectType::Endpoint, 0, first, limit + 1), Error::RangeError);
    check_err!(retype(env, env.untyped(), ObjectType::Endpoint, 0, first, 0), Error::RangeError);
    retype(env, env.untyped(), ObjectType::Endpoint, 0, first, limit).or_fail("retype the fan-out limit")?;
    // Every slot of the window now holds an endpoint: retyping into any of them is refused.
    for slot in [first, first + limit - 1] {
        check_err!(retype(env, env.untyped(), ObjectType::Endpoint, 0, slot, 1), Error::DeleteFirst);
    }
    Ok(())
}

test_case!(RETYPE0008, "retyping pages one at a time fills a 64 KiB untyped with exactly 16, then NotEnoughMemory", retype0008);
fn retype0008(env: &mut Env) -> TestResult {
    let untyped = child_untyped(env, 16)?;
    let mut made: Word = 0;
    let error = loop {
        let slot = env.alloc_slot()?;
        match retype(env, untyped, ObjectType::SmallPage, 0, slot, 1) {
            Ok(()) => made += 1,
            Err(e) => break e,
        }
        check!(made <= 16, "more than 16 pages came out of 64 KiB");
    };
    check_eq!(error, Error::NotEnoughMemory);
    check_eq!(made, 1 << (16 - PAGE_BITS));
    Ok(())
}

test_case!(RETYPE0009, "after revoking an untyped, retype reuses its memory from the start, cleared", retype0009);
fn retype0009(env: &mut Env) -> TestResult {
    let untyped = child_untyped(env, PAGE_BITS)?;
    let page: Cap<Page> = Cap::from_bits(env.alloc_slot()?);
    retype(env, untyped, ObjectType::SmallPage, 0, page.bits(), 1).or_fail("first retype")?;
    let first_addr = page.page_get_address().or_fail("address of the first page")?;
    let vaddr = env.reserve_pages(1)?;
    env.map(page, vaddr, sel4::CapRights::read_write(), sel4::VmAttributes::DEFAULT)?;
    // SAFETY: `vaddr` maps the page just created, read-write.
    unsafe { (vaddr as *mut u64).write_volatile(0x5eed) };
    let spare = env.alloc_slot()?;
    check_err!(retype(env, untyped, ObjectType::SmallPage, 0, spare, 1), Error::NotEnoughMemory);

    env.cnode.cnode_revoke(untyped.bits(), 64).or_fail("revoke the untyped")?;
    // The page cap went with the revoke, so its slot is free again.
    retype(env, untyped, ObjectType::SmallPage, 0, page.bits(), 1).or_fail("retype after revoke")?;
    check_eq!(page.page_get_address().or_fail("address of the new page")?, first_addr);
    env.map(page, vaddr, sel4::CapRights::read_write(), sel4::VmAttributes::DEFAULT)?;
    // SAFETY: as above; the new page is mapped at the same address.
    let word = unsafe { (vaddr as *const u64).read_volatile() };
    check_eq!(word, 0);
    Ok(())
}

test_case!(RETYPE0010, "retype rejects a bad type (InvalidArgument), an occupied slot (DeleteFirst) and windows past the CNode (RangeError)", retype0010);
fn retype0010(env: &mut Env) -> TestResult {
    let untyped = env.untyped();
    let slot = env.alloc_slot()?;
    let type_count = ObjectType::PageDirectory as Word + 1;
    check_err!(untyped.untyped_retype(type_count, 0, env.cnode, 0, 0, slot, 1), Error::InvalidArgument);
    let cnode_slots: Word = 1 << sel4::config::ROOT_CNODE_SIZE_BITS;
    check_err!(retype(env, untyped, ObjectType::Endpoint, 0, cnode_slots, 1), Error::RangeError);
    check_err!(retype(env, untyped, ObjectType::Endpoint, 0, cnode_slots - 1, 2), Error::RangeError);
    retype(env, untyped, ObjectType::Endpoint, 0, slot, 1).or_fail("retype into an empty slot")?;
    check_err!(retype(env, untyped, ObjectType::Notification, 0, slot, 1), Error::DeleteFirst);
    Ok(())
}

test_case!(RETYPE0011, "objects come out of an untyped in order, each aligned to its own size", retype0011);
fn retype0011(env: &mut Env) -> TestResult {
    let untyped = child_untyped(env, 16)?;
    let (first, endpoint, second) = (env.alloc_slot()?, env.alloc_slot()?, env.alloc_slot()?);
    retype(env, untyped, ObjectType::SmallPage, 0, first, 1).or_fail("first page")?;
    retype(env, untyped, ObjectType::Endpoint, 0, endpoint, 1).or_fail("endpoint")?;
    retype(env, untyped, ObjectType::SmallPage, 0, second, 1).or_fail("second page")?;
    let base = Cap::<Page>::from_bits(first).page_get_address().or_fail("first address")?;
    let next = Cap::<Page>::from_bits(second).page_get_address().or_fail("second address")?;
    check_eq!(base % (1 << 16), 0);
    // The endpoint took the first 16 bytes after the first page; the second page skips to the next page boundary.
    check_eq!(next, base + 2 * (1 << PAGE_BITS));
    Ok(())
}

test_case!(RETYPE0012, "retype into a 4-slot CNode: window and count limits (RangeError, with the bounds), occupied slots DeleteFirst, reuse after deleting (sel4test RETYPE0000)", retype0012);
fn retype0012(env: &mut Env) -> TestResult {
    const SLOTS: Word = 4;
    let cnode: Cap<sel4::cap_type::CNode> = env.create(ObjectType::CapTable, 2)?;
    // Room for exactly 8 TCBs: the 4 + 3 + 1 made below.
    let untyped = child_untyped(env, TCB_BITS + 3)?;
    let tcbs = |offset: Word, count: Word| untyped.untyped_retype(ObjectType::Tcb as Word, 0, env.cnode, cnode.bits(), 64, offset, count);
    check_err!(tcbs(0, 0), Error::RangeError);
    check_eq!(sel4::with_ipc_buffer(|b| (b.msg[0], b.msg[1])), (1, sel4::config::RETYPE_FAN_OUT_LIMIT));
    check_err!(tcbs(SLOTS - 1, 2), Error::RangeError);
    for slot in 0..SLOTS {
        tcbs(slot, 1).or_fail("retype a TCB into an empty slot")?;
    }
    check_err!(tcbs(SLOTS, 2), Error::RangeError);
    for slot in 0..SLOTS {
        check_err!(tcbs(slot, 1), Error::DeleteFirst);
    }
    for slot in 0..SLOTS {
        cnode.cnode_delete(slot, 2).or_fail("delete a TCB")?;
    }
    check_err!(tcbs(0, 1 << 31), Error::RangeError);
    check_err!(tcbs(0, SLOTS + 1), Error::RangeError);
    tcbs(0, SLOTS - 1).or_fail("retype all slots but the last at once")?;
    for slot in 0..SLOTS - 1 {
        check_err!(tcbs(slot, 1), Error::DeleteFirst);
    }
    tcbs(SLOTS - 1, 1).or_fail("retype into the last slot")?;
    Ok(())
}

test_case!(RETYPE0013, "a CapTable bigger than an 8 KiB untyped is refused (NotEnoughMemory, or RangeError past 2^47), one its size fits (sel4test RETYPE0001)", retype0013);
fn retype0013(env: &mut Env) -> TestResult {
    const BITS: Word = 13;
    let untyped = child_untyped(env, BITS)?;
    let slot = env.alloc_slot()?;
    for extra in (1..=40).rev() {
        let size = BITS - SLOT_BITS + extra;
        let expected = if size > MAX_UNTYPED_BITS { Error::RangeError } else { Error::NotEnoughMemory };
        check_err!(retype(env, untyped, ObjectType::CapTable, size, slot, 1), expected);
    }
    retype(env, untyped, ObjectType::CapTable, BITS - SLOT_BITS, slot, 1).or_fail("retype a CapTable that fits exactly")?;
    Ok(())
}

test_case!(RETYPE0014, "16 pages fill a 64 KiB untyped; then 2^20 objects is RangeError, an occupied slot DeleteFirst and one more page NotEnoughMemory (sel4test RETYPE0002)", retype0014);
fn retype0014(env: &mut Env) -> TestResult {
    let untyped = child_untyped(env, 16)?;
    let first = env.alloc_slot()?;
    for _ in 1..17 {
        env.alloc_slot()?;
    }
    for i in 0..16 {
        retype(env, untyped, ObjectType::SmallPage, 0, first + i, 1).or_fail("retype one of 16 pages")?;
    }
    check_err!(retype(env, untyped, ObjectType::SmallPage, 0, first + 16, 1 << 20), Error::RangeError);
    check_err!(retype(env, untyped, ObjectType::SmallPage, 0, first, 8), Error::DeleteFirst);
    check_err!(retype(env, untyped, ObjectType::SmallPage, 0, first + 16, 1), Error::NotEnoughMemory);
    Ok(())
}
