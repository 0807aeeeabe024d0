//! Virtual memory: mapping pages and paging structures, rights, faults, large pages.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Page, PageDirectory, PageTable, PageUpperDirectory};
use sel4::consts::{LARGE_PAGE_BITS, PAGE_BITS};
use sel4::{Cap, CapRights, Error, Fault, MessageInfo, ObjectType, VmAttributes, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, Failure, ResultExt, TestResult};

use crate::fault::ESR_WNR;

const PAGE: Word = 1 << PAGE_BITS;
const LARGE_PAGE: Word = 1 << LARGE_PAGE_BITS;

/// Where probe threads report that their access did not fault.
static PROBE_EP: AtomicU64 = AtomicU64::new(0);
/// The word a reading probe read.
static PROBE_READ: AtomicU64 = AtomicU64::new(0);

/// Tells the test the probe's access completed without a fault (label 0 = `Fault::Null`).
fn report_no_fault() {
    Cap::<Endpoint>::from_bits(PROBE_EP.load(Ordering::SeqCst)).send(MessageInfo::new(0, 0, 0, 0));
}

fn read_probe(addr: Word) {
    // SAFETY: deliberately unchecked: the read may fault, which is what the test observes.
    PROBE_READ.store(unsafe { (addr as *const u64).read_volatile() }, Ordering::SeqCst);
    report_no_fault();
}

fn write_probe(addr: Word) {
    // SAFETY: as in `read_probe`.
    unsafe { (addr as *mut u64).write_volatile(0xfeed) };
    report_no_fault();
}

fn exec_probe(addr: Word) {
    // SAFETY: deliberately unchecked: the jump must fault before any instruction runs.
    let target: extern "C" fn() = unsafe { core::mem::transmute::<usize, extern "C" fn()>(addr as usize) };
    target();
    report_no_fault();
}

/// Runs `probe(addr)` in a thread whose fault endpoint is the test's own, and
/// returns what arrived there: the fault, or `Fault::Null` if the access went through.
fn probe(env: &mut Env, probe: fn(Word), addr: Word) -> Result<Fault, Failure> {
    let ep = env.endpoint()?;
    PROBE_EP.store(ep.bits(), Ordering::SeqCst);
    // Above the test's priority: it runs, and faults or reports, at once.
    env.thread(probe, addr, 150, Some(ep), true)?;
    let (info, _) = ep.recv();
    Ok(Fault::decode(info))
}

/// Which way a probe's data access went.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Access {
    Read,
    Write,
}

/// Checks that a data access to `addr` faulted there, reported as a read or a write.
fn check_data_fault(fault: Fault, addr: Word, access: Access) -> TestResult {
    match fault {
        Fault::VmFault { addr: at, prefetch: false, fsr, .. } if at == addr => {
            let reported = if fsr & ESR_WNR != 0 { Access::Write } else { Access::Read };
            check_eq!(reported, access);
            Ok(())
        }
        other => Err(Failure::new(format_args!("expected a data fault at {addr:#x}, got {other}"))),
    }
}

fn new_page(env: &mut Env) -> Result<Cap<Page>, Failure> {
    env.create(ObjectType::SmallPage, 0)
}

/// A 2 MiB-aligned, 2 MiB region of the test's window that no page table covers yet.
fn fresh_large_region(env: &mut Env) -> Result<Word, Failure> {
    let start = env.reserve_pages(2 * LARGE_PAGE / PAGE)?;
    Ok((start + LARGE_PAGE - 1) & !(LARGE_PAGE - 1))
}

test_case!(VSPACE0001, "a frame unmapped and mapped again elsewhere keeps its contents; the old address then faults", vspace0001);
fn vspace0001(env: &mut Env) -> TestResult {
    let frame = env.new_frame()?;
    // SAFETY: the frame is mapped read-write at its vaddr.
    unsafe { frame.ptr::<u64>().write_volatile(0x1234_5678) };
    frame.cap.page_unmap().or_fail("unmap")?;
    let elsewhere = env.reserve_pages(1)?;
    env.map(frame.cap, elsewhere, CapRights::read_write(), VmAttributes::DEFAULT)?;
    // SAFETY: mapped read-write just above.
    check_eq!(unsafe { (elsewhere as *const u64).read_volatile() }, 0x1234_5678);
    check_data_fault(probe(env, read_probe, frame.vaddr)?, frame.vaddr, Access::Read)
}

test_case!(VSPACE0002, "a read-only mapping can be read, and a write to it faults at the written address", vspace0002);
fn vspace0002(env: &mut Env) -> TestResult {
    let frame = env.new_frame()?;
    // SAFETY: mapped read-write.
    unsafe { frame.ptr::<u64>().write_volatile(0xabcd) };
    let vaddr = env.reserve_pages(1)?;
    let copy = env.mint(frame.cap, CapRights::all(), 0)?;
    env.map(copy, vaddr, CapRights::read_only(), VmAttributes::DEFAULT)?;
    check_eq!(probe(env, read_probe, vaddr)?, Fault::Null);
    check_eq!(PROBE_READ.load(Ordering::SeqCst), 0xabcd);
    check_data_fault(probe(env, write_probe, vaddr + 8)?, vaddr + 8, Access::Write)
}

test_case!(VSPACE0003, "reading an address with no mapping faults with that address", vspace0003);
fn vspace0003(env: &mut Env) -> TestResult {
    let vaddr = env.reserve_pages(1)? + 0x238;
    check_data_fault(probe(env, read_probe, vaddr)?, vaddr, Access::Read)
}

test_case!(VSPACE0004, "remapping a frame read-only makes writes fault; remapping read-write allows them again", vspace0004);
fn vspace0004(env: &mut Env) -> TestResult {
    let frame = env.new_frame()?;
    let vspace = env.vspace.cptr();
    frame.cap.page_remap(vspace, CapRights::read_only(), VmAttributes::DEFAULT).or_fail("remap read-only")?;
    check_data_fault(probe(env, write_probe, frame.vaddr)?, frame.vaddr, Access::Write)?;
    frame.cap.page_remap(vspace, CapRights::read_write(), VmAttributes::DEFAULT).or_fail("remap read-write")?;
    check_eq!(probe(env, write_probe, frame.vaddr)?, Fault::Null);
    // SAFETY: mapped read-write again.
    check_eq!(unsafe { frame.ptr::<u64>().read_volatile() }, 0xfeed);
    Ok(())
}

test_case!(VSPACE0005, "a cap without write right maps read-only even when read-write is asked for", vspace0005);
fn vspace0005(env: &mut Env) -> TestResult {
    let page = new_page(env)?;
    let read_only = env.mint(page, CapRights::read_only(), 0)?;
    let vaddr = env.reserve_pages(1)?;
    env.map(read_only, vaddr, CapRights::read_write(), VmAttributes::DEFAULT)?;
    check_eq!(probe(env, read_probe, vaddr)?, Fault::Null);
    check_data_fault(probe(env, write_probe, vaddr)?, vaddr, Access::Write)
}

test_case!(VSPACE0006, "page map errors: misaligned vaddr AlignmentError, occupied vaddr DeleteFirst, mapped cap InvalidCapability", vspace0006);
fn vspace0006(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let frame = env.new_frame()?;
    let other = new_page(env)?;
    let rw = CapRights::read_write();
    check_err!(other.page_map(vspace, frame.vaddr + 0x800, rw, VmAttributes::DEFAULT), Error::AlignmentError);
    check_err!(other.page_map(vspace, frame.vaddr, rw, VmAttributes::DEFAULT), Error::DeleteFirst);
    let spare = env.reserve_pages(1)?;
    check_err!(frame.cap.page_map(vspace, spare, rw, VmAttributes::DEFAULT), Error::InvalidCapability);
    // A frame cap that is not mapped cannot be remapped.
    check_err!(other.page_remap(vspace, rw, VmAttributes::DEFAULT), Error::InvalidCapability);
    Ok(())
}

test_case!(VSPACE0007, "a page needs a page table (FailedLookup); a second table at the same place is DeleteFirst; unmapping the table removes the page", vspace0007);
fn vspace0007(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let region = fresh_large_region(env)?;
    let page = new_page(env)?;
    let vaddr = region + 5 * PAGE;
    check_err!(page.page_map(vspace, vaddr, CapRights::read_write(), VmAttributes::DEFAULT), Error::FailedLookup);
    let table: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    table.page_table_map(vspace, region, VmAttributes::DEFAULT).or_fail("map the page table")?;
    let second: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    check_err!(second.page_table_map(vspace, region + LARGE_PAGE / 2, VmAttributes::DEFAULT), Error::DeleteFirst);
    page.page_map(vspace, vaddr, CapRights::read_write(), VmAttributes::DEFAULT).or_fail("map the page")?;
    check_eq!(probe(env, write_probe, vaddr)?, Fault::Null);
    table.page_table_unmap().or_fail("unmap the page table")?;
    check_data_fault(probe(env, read_probe, vaddr)?, vaddr, Access::Read)
}

test_case!(VSPACE0008, "a 2 MiB large page maps only 2 MiB-aligned, and both its ends are usable", vspace0008);
fn vspace0008(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let region = fresh_large_region(env)?;
    let large: Cap<Page> = env.create(ObjectType::LargePage, 0)?;
    check_err!(large.page_map(vspace, region + PAGE, CapRights::read_write(), VmAttributes::DEFAULT), Error::AlignmentError);
    large.page_map(vspace, region, CapRights::read_write(), VmAttributes::DEFAULT).or_fail("map the large page")?;
    let (first, last) = (region as *mut u64, (region + LARGE_PAGE - 8) as *mut u64);
    // SAFETY: both words lie inside the large page just mapped read-write.
    unsafe {
        first.write_volatile(1);
        last.write_volatile(2);
        check_eq!((first.read_volatile(), last.read_volatile()), (1, 2));
    }
    let paddr = large.page_get_address().or_fail("large page address")?;
    check_eq!(paddr % LARGE_PAGE, 0);
    Ok(())
}

test_case!(VSPACE0009, "page_get_address gives the same page-aligned address before mapping, while mapped and after unmapping", vspace0009);
fn vspace0009(env: &mut Env) -> TestResult {
    let page = new_page(env)?;
    let unmapped = page.page_get_address().or_fail("address before mapping")?;
    check!(unmapped != 0 && unmapped % PAGE == 0, "address {unmapped:#x} is not a page address");
    let vaddr = env.reserve_pages(1)?;
    env.map(page, vaddr, CapRights::read_write(), VmAttributes::DEFAULT)?;
    check_eq!(page.page_get_address().or_fail("address while mapped")?, unmapped);
    page.page_unmap().or_fail("unmap")?;
    check_eq!(page.page_get_address().or_fail("address after unmapping")?, unmapped);
    let other = new_page(env)?;
    check!(other.page_get_address().or_fail("address of another page")? != unmapped, "two pages share an address");
    Ok(())
}

/// Start of the second 512 GiB region: outside the test window and the root
/// task, so the test can build every paging level there itself.
const OWN_HIERARCHY_VADDR: Word = 1 << 39;

test_case!(VSPACE0010, "upper directory, directory, table and page mapped level by level; each needs the level above (FailedLookup)", vspace0010);
fn vspace0010(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let attrs = VmAttributes::DEFAULT;
    let vaddr = OWN_HIERARCHY_VADDR;
    let pud: Cap<PageUpperDirectory> = env.create(ObjectType::PageUpperDirectory, 0)?;
    let pd: Cap<PageDirectory> = env.create(ObjectType::PageDirectory, 0)?;
    let pt: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    let page = new_page(env)?;
    check_err!(pd.page_directory_map(vspace, vaddr, attrs), Error::FailedLookup);
    pud.page_upper_directory_map(vspace, vaddr, attrs).or_fail("map the upper directory")?;
    check_err!(pt.page_table_map(vspace, vaddr, attrs), Error::FailedLookup);
    pd.page_directory_map(vspace, vaddr, attrs).or_fail("map the directory")?;
    check_err!(page.page_map(vspace, vaddr, CapRights::read_write(), attrs), Error::FailedLookup);
    pt.page_table_map(vspace, vaddr, attrs).or_fail("map the table")?;
    page.page_map(vspace, vaddr, CapRights::read_write(), attrs).or_fail("map the page")?;
    // SAFETY: the page was just mapped read-write at `vaddr`.
    unsafe {
        (vaddr as *mut u64).write_volatile(0x77);
        check_eq!((vaddr as *const u64).read_volatile(), 0x77);
    }
    Ok(())
}

/// `movz x0, #0x42`, `strb wzr, [x0]`, `ret`: a write to 0x42 (unmapped).
const WRITE_TO_0X42: [u32; 3] = [0xd280_0840, 0x3900_001f, 0xd65f_03c0];

/// Code in a frame of type `ty` runs (its write faults at 0x42); remapped
/// execute-never, jumping to it faults at its first instruction, the code
/// still in place.
fn check_execute_never(env: &mut Env, ty: ObjectType) -> TestResult {
    let frame: Cap<Page> = env.create(ty, 0)?;
    let vaddr = if ty == ObjectType::LargePage { fresh_large_region(env)? } else { env.reserve_pages(1)? };
    let vspace = env.vspace.cptr();
    frame.page_map(vspace, vaddr, CapRights::read_write(), VmAttributes::DEFAULT).or_fail("map the frame")?;
    // SAFETY: the frame is mapped read-write at `vaddr`.
    unsafe { (vaddr as *mut [u32; 3]).write_volatile(WRITE_TO_0X42) };
    let code_len = core::mem::size_of_val(&WRITE_TO_0X42) as Word;
    frame.page_unify_instruction(0, code_len).or_fail("unify caches over the code")?;
    frame.page_remap(vspace, CapRights::read_only(), VmAttributes::DEFAULT).or_fail("remap read-only")?;
    match probe(env, exec_probe, vaddr)? {
        Fault::VmFault { addr: 0x42, ip, prefetch: false, .. } if ip == vaddr + 4 => {}
        other => return Err(Failure::new(format_args!("expected the code at {vaddr:#x} to fault writing 0x42, got {other}"))),
    }
    let xn = VmAttributes::DEFAULT.union(VmAttributes::EXECUTE_NEVER);
    frame.page_remap(vspace, CapRights::read_only(), xn).or_fail("remap execute-never")?;
    // SAFETY: still mapped, readable.
    check_eq!(unsafe { (vaddr as *const [u32; 3]).read_volatile() }, WRITE_TO_0X42);
    match probe(env, exec_probe, vaddr)? {
        Fault::VmFault { addr, ip, prefetch: true, .. } if addr == vaddr && ip == vaddr => Ok(()),
        other => Err(Failure::new(format_args!("expected an instruction fault at {vaddr:#x}, got {other}"))),
    }
}

test_case!(VSPACE0011, "code in a small frame runs; remapped execute-never, jumping into it faults as an instruction fetch there (sel4test FRAMEXN0001; 5.0.0 changes the mapping by Page_Remap)", vspace0011);
fn vspace0011(env: &mut Env) -> TestResult {
    check_execute_never(env, ObjectType::SmallPage)
}

test_case!(VSPACE0015, "the same for a 2 MiB large frame (sel4test FRAMEXN0002; 5.0.0 changes the mapping by Page_Remap)", vspace0015);
fn vspace0015(env: &mut Env) -> TestResult {
    check_execute_never(env, ObjectType::LargePage)
}

test_case!(VSPACE0016, "deleting the cap a frame was mapped through unmaps it: a write there faults (sel4test FRAMEDIPC0003)", vspace0016);
fn vspace0016(env: &mut Env) -> TestResult {
    let frame = new_page(env)?;
    let copy = env.mint(frame, CapRights::all(), 0)?;
    let vaddr = env.reserve_pages(1)?;
    env.map(copy, vaddr, CapRights::read_write(), VmAttributes::DEFAULT)?;
    // SAFETY: mapped read-write just above.
    unsafe { (vaddr as *mut u32).write_volatile(0) };
    env.cnode.cnode_delete(copy.bits(), 64).or_fail("delete the mapped copy")?;
    check_data_fault(probe(env, write_probe, vaddr)?, vaddr, Access::Write)
}

test_case!(VSPACE0012, "a page mapped in a VSpace whose PGD cap was deleted unmaps without error, and can be mapped again (sel4test VSPACE0001)", vspace0012);
fn vspace0012(env: &mut Env) -> TestResult {
    let attrs = VmAttributes::DEFAULT;
    let vaddr: Word = 0x1000_0000;
    let pgd: Cap<sel4::cap_type::PageGlobalDirectory> = env.create(ObjectType::PageGlobalDirectory, 0)?;
    let pud: Cap<PageUpperDirectory> = env.create(ObjectType::PageUpperDirectory, 0)?;
    let pd: Cap<PageDirectory> = env.create(ObjectType::PageDirectory, 0)?;
    let pt: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    let page = new_page(env)?;
    sel4::init_thread::ASID_POOL.asid_pool_assign(pgd.cptr()).or_fail("assign the PGD an ASID")?;
    let root = pgd.cptr();
    pud.page_upper_directory_map(root, vaddr, attrs).or_fail("map the upper directory")?;
    pd.page_directory_map(root, vaddr, attrs).or_fail("map the directory")?;
    pt.page_table_map(root, vaddr, attrs).or_fail("map the table")?;
    page.page_map(root, vaddr, CapRights::read_write(), attrs).or_fail("map the page")?;
    env.cnode.cnode_delete(pgd.bits(), 64).or_fail("delete the PGD")?;
    page.page_unmap().or_fail("unmap the page")?;
    // The cap no longer says mapped: it maps in our VSpace.
    let ours = env.reserve_pages(1)?;
    page.page_map(env.vspace.cptr(), ours, CapRights::read_write(), attrs).or_fail("map the page again")?;
    Ok(())
}

/// Fills `len` bytes at `vaddr` with a pattern of their word offsets.
fn fill(vaddr: Word, len: Word) {
    for i in 0..len / 8 {
        // SAFETY: callers pass a range they mapped read-write.
        unsafe { ((vaddr + i * 8) as *mut Word).write_volatile(i ^ 0xbeef_cafe) };
    }
}

/// Whether `len` bytes at `vaddr` hold the pattern `fill` writes.
fn holds_fill(vaddr: Word, len: Word) -> bool {
    // SAFETY: as in `fill`.
    (0..len / 8).all(|i| unsafe { ((vaddr + i * 8) as *const Word).read_volatile() } == i ^ 0xbeef_cafe)
}

test_case!(VSPACE0013, "large and small pages mapped, unmapped and remapped around page tables keep their contents (sel4test PT0001; mapping a mapped cap elsewhere is InvalidCapability in 5.0.0, InvalidArgument upstream)", vspace0013);
fn vspace0013(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let (rw, attrs) = (CapRights::read_write(), VmAttributes::DEFAULT);
    // Two large pages' worth, 4 MiB-aligned, that no page table covers (the
    // directory above exists: the test's own stack is in the same window).
    let start = env.reserve_pages(4 * LARGE_PAGE / PAGE)?;
    let vstart = (start + 2 * LARGE_PAGE - 1) & !(2 * LARGE_PAGE - 1);
    let small = new_page(env)?;
    let large: Cap<Page> = env.create(ObjectType::LargePage, 0)?;
    let pt: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;

    check_err!(large.page_map(vspace, vstart + LARGE_PAGE / 2, rw, attrs), Error::AlignmentError);
    large.page_map(vspace, vstart + LARGE_PAGE, rw, attrs).or_fail("map the large page")?;
    large.page_unmap().or_fail("unmap the large page")?;
    large.page_map(vspace, vstart + LARGE_PAGE, rw, attrs).or_fail("map the large page again")?;
    fill(vstart + LARGE_PAGE, LARGE_PAGE);
    large.page_unmap().or_fail("unmap the large page")?;
    large.page_map(vspace, vstart, rw, attrs).or_fail("map the large page at the start")?;
    check_err!(large.page_map(vspace, vstart + LARGE_PAGE, rw, attrs), Error::InvalidCapability);
    check!(holds_fill(vstart, LARGE_PAGE), "the large page lost its contents");
    large.page_unmap().or_fail("unmap the large page")?;

    check_err!(small.page_map(vspace, vstart, rw, attrs), Error::FailedLookup);
    // An unaligned address maps the table over the 2 MiB around it.
    pt.page_table_map(vspace, vstart + LARGE_PAGE + 10, attrs).or_fail("map the table unaligned")?;
    small.page_map(vspace, vstart + LARGE_PAGE + PAGE, rw, attrs).or_fail("map the small page")?;
    fill(vstart + LARGE_PAGE + PAGE, PAGE);
    env.cnode.cnode_delete(pt.bits(), 64).or_fail("delete the table")?;
    small.page_unmap().or_fail("unmap the small page after its table went")?;
    large.page_unmap().or_fail("unmap the unmapped large page")?;

    let pt: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    pt.page_table_map(vspace, vstart, attrs).or_fail("map a new table")?;
    small.page_map(vspace, vstart + PAGE, rw, attrs).or_fail("map the small page in the new table")?;
    large.page_map(vspace, vstart + LARGE_PAGE, rw, attrs).or_fail("map the large page next to it")?;
    check!(holds_fill(vstart + PAGE, PAGE), "the small page lost its contents");
    check!(holds_fill(vstart + LARGE_PAGE, LARGE_PAGE), "the large page lost its contents");
    small.page_unmap().or_fail("unmap the small page")?;
    large.page_unmap().or_fail("unmap the large page")?;
    Ok(())
}

test_case!(VSPACE0014, "a virtual address reused for another frame after an unmap reads the new frame, not a stale TLB entry, for small and large pages", vspace0014);
fn vspace0014(env: &mut Env) -> TestResult {
    let (rw, attrs) = (CapRights::read_write(), VmAttributes::DEFAULT);
    for (ty, size) in [(ObjectType::SmallPage, PAGE), (ObjectType::LargePage, LARGE_PAGE)] {
        // Three frames' worth of addresses, aligned to the frame size, under no page table
        // when the frames are large.
        let start = env.reserve_pages(4 * size / PAGE)?;
        let vstart = (start + size - 1) & !(size - 1);
        let frames: [Cap<Page>; 2] = [env.create(ty, 0)?, env.create(ty, 0)?];
        for (i, frame) in frames.into_iter().enumerate() {
            let vaddr = vstart + i as Word * size;
            env.map(frame, vaddr, rw, attrs)?;
            // SAFETY: just mapped read-write.
            unsafe { (vaddr as *mut Word).write_volatile(i as Word + 1) };
            frame.page_unmap().or_fail("unmap")?;
        }
        // Both at a third address in turn: each read must see its own frame.
        let reused = vstart + 2 * size;
        for (i, frame) in frames.into_iter().enumerate() {
            env.map(frame, reused, rw, attrs)?;
            // SAFETY: just mapped read-write.
            check_eq!(unsafe { (reused as *const Word).read_volatile() }, i as Word + 1);
            frame.page_unmap().or_fail("unmap from the reused address")?;
        }
    }
    Ok(())
}
