//! Page Remap through a frame cap whose mapping record went stale (a paging
//! structure above the mapping was deleted or replaced): our patch 0008.

use sel4::cap_type::{Page, PageDirectory, PageGlobalDirectory, PageTable, PageUpperDirectory};
use sel4::consts::PAGE_BITS;
use sel4::{init_thread, Cap, CapRights, Error, ObjectType, VmAttributes, Word};
use sel4_test::{check_eq, check_err, test_case, Env, Failure, ResultExt, TestResult};

use crate::cache::{frame_at, own_table};

const PAGE: Word = 1 << PAGE_BITS;

test_case!(REMAP0001, "Remap through a stale 4 KiB frame cap is refused once its page table is unmapped, and once another frame is mapped there (patch 0008; on 5.0.0 the second replaces the other frame's entry, and the first, not run there, writes through a NULL slot and halts the system)", remap0001);
fn remap0001(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let own = own_table(env)?;
    let frame = frame_at(env, own.vaddr, CapRights::read_write())?;
    let word = own.vaddr as *mut Word;
    // SAFETY: `frame` is mapped read-write at own.vaddr.
    unsafe { word.write_volatile(0x1111) };
    own.table.page_table_unmap().or_fail("unmap the page table")?;
    if cfg!(patch_remap_stale_check) {
        check_err!(frame.page_remap(vspace, CapRights::read_only(), VmAttributes::DEFAULT), Error::InvalidCapability);
    }
    own.table.page_table_map(vspace, own.vaddr, VmAttributes::DEFAULT).or_fail("map the page table again")?;
    let other = frame_at(env, own.vaddr, CapRights::read_write())?;
    // SAFETY: `other` is mapped read-write there now.
    unsafe { word.write_volatile(0x2222) };
    let remap = frame.page_remap(vspace, CapRights::read_write(), VmAttributes::DEFAULT);
    // SAFETY: whichever frame the address maps, it is mapped read-write.
    let seen = || unsafe { word.read_volatile() };
    if cfg!(patch_remap_stale_check) {
        check_err!(remap, Error::InvalidCapability);
        check_eq!(seen(), 0x2222);
    } else {
        remap.or_fail("remap a stale cap (5.0.0)")?;
        check_eq!(seen(), 0x1111);
    }
    // The other frame's own cap still remaps its mapping.
    other.page_remap(vspace, CapRights::read_write(), VmAttributes::DEFAULT).or_fail("remap the mapped frame")?;
    check_eq!(seen(), 0x2222);
    Ok(())
}

test_case!(REMAP0002, "Remap through a stale 2 MiB frame cap, whose page directory was replaced by one holding a page table there, is refused and the page table stays (patch 0008; 5.0.0 overwrites the table's entry with the block, so the table's next map fails)", remap0002);
fn remap0002(env: &mut Env) -> TestResult {
    // A VSpace of the test's own (an ASID from the root task's pool), so
    // that its page directories can be replaced without touching ours.
    let vspace: Cap<PageGlobalDirectory> = env.create(ObjectType::PageGlobalDirectory, 0)?;
    init_thread::ASID_POOL.asid_pool_assign(vspace.cptr()).or_fail("assign the VSpace an ASID")?;
    // Any 1 GiB-aligned address: the VSpace is empty.
    let vaddr: Word = 0x4000_0000;
    let attrs = VmAttributes::DEFAULT;
    let pud: Cap<PageUpperDirectory> = env.create(ObjectType::PageUpperDirectory, 0)?;
    pud.page_upper_directory_map(vspace.cptr(), vaddr, attrs).or_fail("map the PUD")?;
    let first: Cap<PageDirectory> = env.create(ObjectType::PageDirectory, 0)?;
    first.page_directory_map(vspace.cptr(), vaddr, attrs).or_fail("map the first PD")?;
    let large: Cap<Page> = env.create(ObjectType::LargePage, 0)?;
    large.page_map(vspace.cptr(), vaddr, CapRights::read_write(), attrs).or_fail("map the large frame")?;
    large.page_remap(vspace.cptr(), CapRights::read_only(), attrs).or_fail("remap while mapped")?;
    // Deleting the directory leaves the large frame's record stale.
    let first_slot = first.bits();
    env.cnode.cnode_delete(first_slot, 64).or_fail("delete the first PD")?;
    let second: Cap<PageDirectory> = env.create(ObjectType::PageDirectory, 0)?;
    second.page_directory_map(vspace.cptr(), vaddr, attrs).or_fail("map the second PD")?;
    let table: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    table.page_table_map(vspace.cptr(), vaddr, attrs).or_fail("map a page table")?;
    let small = |env: &mut Env| -> Result<Cap<Page>, Failure> { env.create(ObjectType::SmallPage, 0) };
    small(env)?.page_map(vspace.cptr(), vaddr, CapRights::read_write(), attrs).or_fail("map a frame through the table")?;
    let remap = large.page_remap(vspace.cptr(), CapRights::read_write(), attrs);
    let next = small(env)?.page_map(vspace.cptr(), vaddr + PAGE, CapRights::read_write(), attrs);
    if cfg!(patch_remap_stale_check) {
        check_err!(remap, Error::InvalidCapability);
        next.or_fail("map a second frame through the table")?;
    } else {
        remap.or_fail("remap a stale large cap (5.0.0)")?;
        // The directory entry is a block now: no table to map through.
        check_err!(next, Error::FailedLookup);
    }
    Ok(())
}
