//! Frames as IPC buffers (device frames are refused) and every frame size a
//! test can get from its memory, mapped and touched.

use sel4::cap_type::{Endpoint, Page, PageTable, Tcb, Untyped};
use sel4::consts::{LARGE_PAGE_BITS, PAGE_BITS};
use sel4::{Cap, CapRights, Error, MessageInfo, ObjectType, VmAttributes, Word};
use sel4_test::{check_eq, check_err, test_case, Env, ResultExt, TestResult};

test_case!(FRAME0001, "configuring a thread with a device frame as its IPC buffer is IllegalOperation; an ordinary frame is accepted (sel4test FRAMEDIPC0001)", frame0001);
fn frame0001(env: &mut Env) -> TestResult {
    let device = env.uart_frame()?;
    let ordinary = env.new_frame()?;
    let tcb: Cap<Tcb> = env.create(ObjectType::Tcb, 0)?;
    let configure = |frame: Cap<Page>| {
        tcb.tcb_configure(0, sel4::PrioProps::new(0, 0), env.cnode, sel4::CapData::none(), env.vspace.cast(), sel4::CapData::none(), ordinary.vaddr, frame.cptr())
    };
    check_err!(configure(device), Error::IllegalOperation);
    configure(ordinary.cap).or_fail("configure with an ordinary frame")?;
    Ok(())
}

const WORDS: usize = 8;

/// Sends twice on `ep`, the second time `WORDS` words (more than fit in
/// registers, so they are read from its IPC buffer).
fn send_twice(ep: Word) {
    let ep = Cap::<Endpoint>::from_bits(ep);
    ep.send(MessageInfo::new(0, 0, 0, 0));
    sel4::with_ipc_buffer(|b| {
        for (i, w) in b.msg[..WORDS].iter_mut().enumerate() {
            *w = 0x1bc0 + i as Word;
        }
    });
    ep.send(MessageInfo::new(0, 0, 0, WORDS as Word));
}

test_case!(FRAME0002, "switching a running thread's IPC buffer to a device frame is IllegalOperation and leaves its buffer working (sel4test FRAMEDIPC0002)", frame0002);
fn frame0002(env: &mut Env) -> TestResult {
    let device = env.uart_frame()?;
    let ep = env.endpoint()?;
    let thread = env.spawn(send_twice, ep.bits(), 90)?;
    ep.recv();
    check_err!(thread.tcb.tcb_set_ipc_buffer(thread.ipc_buffer, device.cptr()), Error::IllegalOperation);
    let (info, _) = ep.recv();
    check_eq!(info.length(), WORDS);
    for i in 0..WORDS {
        check_eq!(sel4::with_ipc_buffer(|b| b.msg[i]), 0x1bc0 + i as Word);
    }
    Ok(())
}

/// Reads, at 16 points spread over the frame at `vaddr` of `2^bits` bytes,
/// the byte `old`, and writes `new` there.
fn touch(vaddr: Word, bits: Word, old: u8, new: u8) -> TestResult {
    for i in 0..16 {
        let at = (vaddr + (1 << bits) / 16 * i) as *mut u8;
        // SAFETY: callers pass a frame they mapped read-write at `vaddr`.
        unsafe {
            check_eq!(at.read_volatile(), old);
            at.write_volatile(new);
            check_eq!(at.read_volatile(), new);
        }
    }
    Ok(())
}

test_case!(FRAME0003, "large, then small frames retyped until their untyped (4 and 2 MiB of the test's) runs out (2 and 512 of them) each map, hold zeros and keep what is written; mapping one mapped frame again is InvalidCapability (sel4test FRAMEEXPORTS0001, but for 5.0.0's refusal to map a mapped cap again, where upstream remaps it in place)", frame0003);
fn frame0003(env: &mut Env) -> TestResult {
    let vspace = env.vspace.cptr();
    let (rw, attrs) = (CapRights::read_write(), VmAttributes::DEFAULT);
    let large: Word = 1 << LARGE_PAGE_BITS;
    // A large page's place (no page table there) and then a small page's.
    let start = env.reserve_pages(3 * large >> PAGE_BITS)?;
    let base = (start + large - 1) & !(large - 1);
    let table: Cap<PageTable> = env.create(ObjectType::PageTable, 0)?;
    table.page_table_map(vspace, base + large, attrs).or_fail("map the small pages' table")?;
    // Untyped memory is handed out in order, so each size gets its own
    // region (small first: the large one must be 4 MiB-aligned).
    let small_memory: Cap<Untyped> = env.create(ObjectType::Untyped, LARGE_PAGE_BITS)?;
    let large_memory: Cap<Untyped> = env.create(ObjectType::Untyped, LARGE_PAGE_BITS + 1)?;
    let sizes = [
        (large_memory, LARGE_PAGE_BITS + 1, ObjectType::LargePage, LARGE_PAGE_BITS, base),
        (small_memory, LARGE_PAGE_BITS, ObjectType::SmallPage, PAGE_BITS, base + large),
    ];
    for (memory, memory_bits, ty, bits, vaddr) in sizes {
        let mut made = 0;
        loop {
            let frame: Cap<Page> = Cap::from_bits(env.alloc_slot()?);
            match memory.untyped_retype(ty as Word, 0, env.cnode, 0, 0, frame.bits(), 1) {
                Err(Error::NotEnoughMemory) => break,
                other => other.or_fail("retype a frame")?,
            }
            made += 1;
            frame.page_map(vspace, vaddr, rw, attrs).or_fail("map the frame")?;
            touch(vaddr, bits, 0, b'U')?;
            check_err!(frame.page_map(vspace, vaddr, rw, attrs), Error::InvalidCapability);
            touch(vaddr, bits, b'U', b'V')?;
            frame.page_unmap().or_fail("unmap the frame")?;
        }
        check_eq!(made, 1 << (memory_bits - bits));
    }
    Ok(())
}
