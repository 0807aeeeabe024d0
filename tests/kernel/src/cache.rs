//! Cache maintenance invocations: what the kernel checks before it runs the
//! cache instructions on a user address. QEMU models no caches, so these
//! tests see only the kernel's decisions (errors and successes), not the
//! caches' contents.

use sel4::cap_type::{Page, PageTable};
use sel4::consts::PAGE_BITS;
use sel4::{Cap, CapRights, Error, ObjectType, VmAttributes, Word};
use sel4_test::{check_err, test_case, Env, Failure, ResultExt, TestResult};

const PAGE: Word = 1 << PAGE_BITS;
/// The span one page table maps (2 MiB).
const PAGE_TABLE_SPAN: Word = 1 << 21;

type Flush = fn(Cap<Page>, Word, Word) -> sel4::Result<()>;

/// The four Page flushes, with their names for messages.
const PAGE_FLUSHES: [(&str, Flush); 4] = [
    ("clean", |p, s, e| p.page_clean_data(s, e)),
    ("invalidate", |p, s, e| p.page_invalidate_data(s, e)),
    ("clean+invalidate", |p, s, e| p.page_clean_invalidate_data(s, e)),
    ("unify", |p, s, e| p.page_unify_instruction(s, e)),
];

test_case!(CACHE0001, "each Page flush works on a mapped frame and checks its range (inside the page, start before end) and that the frame is mapped", cache0001);
fn cache0001(env: &mut Env) -> TestResult {
    let frame = env.new_frame()?;
    let unmapped: Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    for (name, flush) in PAGE_FLUSHES {
        flush(frame.cap, 0, PAGE).or_fail(name)?;
        flush(frame.cap, 0x100, 0x140).or_fail(name)?;
        check_err!(flush(frame.cap, 0x40, 0x40), Error::InvalidArgument);
        check_err!(flush(frame.cap, 0, PAGE + 1), Error::InvalidArgument);
        check_err!(flush(frame.cap, PAGE, PAGE + 8), Error::InvalidArgument);
        check_err!(flush(unmapped, 0, PAGE), Error::IllegalOperation);
    }
    Ok(())
}

/// A page table of the test's own at a fresh 2 MiB-aligned address (its
/// upper levels from `env.map`).
pub(crate) struct OwnTable {
    pub table: Cap<PageTable>,
    pub vaddr: Word,
}

pub(crate) fn own_table(env: &mut Env) -> Result<OwnTable, Failure> {
    // Three spans: one of them is aligned and wholly inside the reservation.
    let span_pages = PAGE_TABLE_SPAN / PAGE;
    let start = env.reserve_pages(3 * span_pages)?;
    let vaddr = (start + PAGE_TABLE_SPAN - 1) & !(PAGE_TABLE_SPAN - 1);
    // A frame in the span after it brings the upper levels (and a table the test does not use).
    let helper: Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    env.map(helper, vaddr + PAGE_TABLE_SPAN, CapRights::read_write(), VmAttributes::DEFAULT)?;
    let table: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    table.page_table_map(env.vspace.cptr(), vaddr, VmAttributes::DEFAULT).or_fail("map the page table")?;
    Ok(OwnTable { table, vaddr })
}

/// Maps a fresh frame at `vaddr` (whose page table exists) and returns it.
pub(crate) fn frame_at(env: &mut Env, vaddr: Word, rights: CapRights) -> Result<Cap<Page>, Failure> {
    let frame: Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    frame.page_map(env.vspace.cptr(), vaddr, rights, VmAttributes::DEFAULT).or_fail("map a frame")?;
    Ok(frame)
}

/// Checks every Page flush on `frame`, whose recorded mapping is stale: the
/// patched kernel refuses them (InvalidCapability); 5.0.0 runs the cache
/// instructions on whatever the address now holds.
fn check_stale(frame: Cap<Page>) -> TestResult {
    for (name, flush) in PAGE_FLUSHES {
        let result = flush(frame, 0, PAGE);
        if cfg!(patch_cache_op_checks) {
            check_err!(result, Error::InvalidCapability);
        } else {
            result.or_fail(name)?;
        }
    }
    Ok(())
}

test_case!(CACHE0002, "a Page flush through a frame cap whose mapping went stale (its page table unmapped; then another frame mapped there) is refused (patch 0006; 5.0.0 flushes the address anyway)", cache0002);
fn cache0002(env: &mut Env) -> TestResult {
    let own = own_table(env)?;
    let frame = frame_at(env, own.vaddr, CapRights::read_write())?;
    for (name, flush) in PAGE_FLUSHES {
        flush(frame, 0, PAGE).or_fail(name)?;
    }
    // The frame cap still records "mapped at vaddr" once the table is gone.
    own.table.page_table_unmap().or_fail("unmap the page table")?;
    check_stale(frame)?;
    // Another table and another frame at the same address: the old cap's
    // record now names memory it has no authority over.
    own.table.page_table_map(env.vspace.cptr(), own.vaddr, VmAttributes::DEFAULT).or_fail("map the page table again")?;
    let other = frame_at(env, own.vaddr, CapRights::read_write())?;
    check_stale(frame)?;
    for (name, flush) in PAGE_FLUSHES {
        flush(other, 0, PAGE).or_fail(name)?;
    }
    Ok(())
}

test_case!(CACHE0003, "a data invalidate needs a writable mapping, for Page and PGD flushes (patch 0006; 5.0.0 runs dc ivac on a read-only page); other flushes work on read-only mappings", cache0003);
fn cache0003(env: &mut Env) -> TestResult {
    let frame: Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    let vaddr = env.reserve_pages(1)?;
    env.map(frame, vaddr, CapRights::read_only(), VmAttributes::DEFAULT)?;
    let vspace = env.vspace;
    let invalidates = [frame.page_invalidate_data(0, PAGE), vspace.page_global_directory_invalidate_data(vaddr, vaddr + PAGE)];
    for result in invalidates {
        if cfg!(patch_cache_op_checks) {
            check_err!(result, Error::IllegalOperation);
        } else {
            result.or_fail("invalidate a read-only mapping")?;
        }
    }
    for (name, flush) in PAGE_FLUSHES.into_iter().filter(|(name, _)| *name != "invalidate") {
        flush(frame, 0, PAGE).or_fail(name)?;
    }
    vspace.page_global_directory_clean_data(vaddr, vaddr + PAGE).or_fail("PGD clean")?;
    vspace.page_global_directory_clean_invalidate_data(vaddr, vaddr + PAGE).or_fail("PGD clean+invalidate")?;
    vspace.page_global_directory_unify_instruction(vaddr, vaddr + PAGE).or_fail("PGD unify")?;
    // A writable mapping of the same frame may be invalidated.
    let copy: Cap<Page> = Cap::from_bits(env.alloc_slot()?);
    env.cnode.cnode_copy(copy.bits(), 64, env.cnode, frame.bits(), 64, CapRights::all()).or_fail("copy the frame cap")?;
    let writable = env.reserve_pages(1)?;
    env.map(copy, writable, CapRights::read_write(), VmAttributes::DEFAULT)?;
    copy.page_invalidate_data(0, PAGE).or_fail("invalidate a writable mapping")?;
    vspace.page_global_directory_invalidate_data(writable, writable + PAGE).or_fail("PGD invalidate a writable mapping")?;
    Ok(())
}
