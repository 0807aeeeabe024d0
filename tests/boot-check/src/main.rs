//! The root task that proves the boot chain: it prints the bootinfo summary
//! and checks a few real invocations (retype, mint a badged notification and
//! signal it, map a fresh frame and touch it). Any failed check panics, which
//! the QEMU harness reports as a failure. This is the default system image
//! until the monitor takes the root task's place.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use sel4::cap_type::{CNode, Notification, Page, Untyped};
use sel4::{debug_println, init_thread, BootInfo, Cap, CapData, CapRights, Error, ObjectType, VmAttributes, Word};

sel4_root_task::root_task!(main);

/// Hands out the empty CNode slots the kernel listed in bootinfo.
struct Slots {
    next: Word,
    end: Word,
}

impl Slots {
    fn alloc(&mut self) -> Word {
        assert!(self.next < self.end, "out of empty CNode slots");
        self.next += 1;
        self.next - 1
    }
}

/// Creates one object of `ty` from `ut` into a fresh slot of the root CNode.
fn retype(ut: Cap<Untyped>, slots: &mut Slots, ty: ObjectType, size_bits: Word) -> Result<Word, Error> {
    let slot = slots.alloc();
    ut.untyped_retype(ty as Word, size_bits, init_thread::CNODE, 0, 0, slot, 1)?;
    Ok(slot)
}

fn check<T>(what: &str, result: Result<T, Error>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("check '{what}' failed: {e:?}"),
    }
}

fn print_bootinfo(bi: &BootInfo) {
    let ipc_buffer = bi.ipc_buffer;
    let cnode_bits = bi.init_thread_cnode_size_bits;
    debug_println!("root-task: bootinfo: IPC buffer {ipc_buffer:#x}, root CNode 2^{cnode_bits} slots");
    let (empty, untyped) = (bi.empty, bi.untyped);
    debug_println!(
        "root-task: empty slots {:#x}..{:#x} ({}), untyped caps {:#x}..{:#x} ({})",
        { empty.start }, { empty.end }, empty.len(), { untyped.start }, { untyped.end }, untyped.len()
    );
    let (mut ram, mut ram_count) = (0u64, 0);
    for (i, ut) in bi.untyped_list().iter().enumerate() {
        if ut.is_device() {
            let paddr = ut.paddr;
            debug_println!(
                "root-task: device region {:#010x}..{:#010x} (untyped slot {:#x})",
                paddr,
                paddr + ut.size(),
                untyped.start + i as Word
            );
        } else {
            ram += ut.size();
            ram_count += 1;
        }
    }
    debug_println!("root-task: untyped RAM: {ram_count} caps, {} KiB in total", ram / 1024);
}

/// The smallest RAM untyped of at least `bits` bits.
fn find_untyped(bi: &BootInfo, bits: u8) -> Cap<Untyped> {
    let first = bi.untyped.start;
    let (i, _) = bi
        .untyped_list()
        .iter()
        .enumerate()
        .filter(|(_, ut)| !ut.is_device() && ut.size_bits >= bits)
        .min_by_key(|(_, ut)| ut.size_bits)
        .unwrap_or_else(|| panic!("no RAM untyped of 2^{bits} bytes"));
    Cap::from_bits(first + i as Word)
}

fn main(bi: &'static BootInfo) -> ! {
    debug_println!("root-task: started");
    print_bootinfo(bi);
    let mut slots = Slots { next: bi.empty.start, end: bi.empty.end };
    let ut = find_untyped(bi, 20);

    // Retype: a notification object from untyped memory.
    let ntfn_slot = check("retype notification", retype(ut, &mut slots, ObjectType::Notification, 0));
    let ntfn = Cap::<Notification>::from_bits(ntfn_slot);
    debug_println!("root-task: retype: notification at slot {ntfn_slot:#x}: ok");

    // Mint a badged copy, signal through it, and see the badge arrive.
    const BADGE: Word = 0x42;
    let minted = slots.alloc();
    let cnode: Cap<CNode> = init_thread::CNODE;
    check(
        "mint badged notification",
        cnode.cnode_mint(minted, 64, cnode, ntfn_slot, 64, CapRights::all(), CapData::badge(BADGE)),
    );
    Cap::<Notification>::from_bits(minted).signal();
    let badge = ntfn.poll();
    assert_eq!(badge, BADGE, "signal through the minted cap delivered badge {badge:#x}");
    debug_println!("root-task: mint + signal: badge {badge:#x} received: ok");

    // Map a fresh frame at an unused address and touch it.
    const VADDR: Word = 0x1000_0000;
    let frame = check("retype frame", retype(ut, &mut slots, ObjectType::SmallPage, 0));
    check(
        "map frame",
        sel4_root_task::map_frame(
            Cap::<Page>::from_bits(frame),
            VADDR,
            CapRights::read_write(),
            VmAttributes::DEFAULT,
            &mut |ty| retype(ut, &mut slots, ty, 0),
        ),
    );
    let page = VADDR as *mut u64;
    // SAFETY: the frame was just mapped read-write at VADDR and nothing else uses it.
    let readback = unsafe {
        assert_eq!(page.read_volatile(), 0, "a fresh frame must start zeroed");
        page.write_volatile(0x5e14_b007);
        page.read_volatile()
    };
    assert_eq!(readback, 0x5e14_b007);
    debug_println!("root-task: map frame at {VADDR:#x}, write and read back: ok");

    // The runtime's heap serves `alloc`.
    let squares: Vec<u64> = (0..1000).map(|i| i * i).collect();
    let sum: u64 = squares.iter().sum();
    assert_eq!(sum, 332_833_500, "heap-backed Vec gave a wrong sum");
    debug_println!("root-task: heap: 1000-element Vec summed to {sum}: ok");

    debug_println!("root-task: all boot checks passed");
    debug_println!("*** system ready ***");
    sel4_root_task::halt()
}
