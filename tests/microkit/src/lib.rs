//! Shared by the example PDs: the sel4test-style verdict lines the harness
//! reads (`Running suite`, `Starting test`, `Test X passed|failed: why`, `N passed, N failed`).
#![no_std]

use core::fmt::Display;

/// Prints one test as a one-test suite: announcement, verdict, summary.
pub fn report<E: Display>(name: &str, description: &str, result: Result<(), E>) {
    report_tagged(name, description, result, "");
}

/// The same, with every line ending in `tail` (the attack judges' seal).
pub fn report_tagged<E: Display>(name: &str, description: &str, result: Result<(), E>, tail: &str) {
    announce_tagged(name, description, tail);
    conclude_tagged(name, result, tail);
}

fn announce_tagged(name: &str, description: &str, tail: &str) {
    sel4::debug_println!("Running suite {name}: 1 tests ({description}){tail}");
    sel4::debug_println!("Starting test 1: {name}{tail}");
}

fn conclude_tagged<E: Display>(name: &str, result: Result<(), E>, tail: &str) {
    match result {
        Ok(()) => {
            sel4::debug_println!("Test {name} passed{tail}");
            sel4::debug_println!("1 passed, 0 failed{tail}");
        }
        Err(why) => {
            sel4::debug_println!("Test {name} failed: {why}{tail}");
            sel4::debug_println!("0 passed, 1 failed{tail}");
        }
    }
}

/// Asks the kernel directly (bypassing the library's check) to make a
/// protected call on channel `id`, through the slot where its endpoint cap
/// would be: on a channel without pp that slot is empty, and the kernel must
/// answer InvalidCapability.
pub fn kernel_refuses_pp_call(id: u8) -> Result<(), &'static str> {
    let ep = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(monitor_spec::abi::slot::PP_BASE + u64::from(id));
    let answer = ep.call(sel4::MessageInfo::new(0, 0, 0, 0));
    ensure(sel4::Error::from_word(answer.label()) == Some(sel4::Error::InvalidCapability), "the kernel did not refuse a call on the ungranted endpoint slot")
}

/// The same for acking IRQ channel `id` through its handler cap's slot.
pub fn kernel_refuses_irq_ack(id: u8) -> Result<(), &'static str> {
    let handler = sel4::Cap::<sel4::cap_type::IrqHandler>::from_bits(monitor_spec::abi::slot::IRQ_BASE + u64::from(id));
    ensure(handler.irq_handler_ack() == Err(sel4::Error::InvalidCapability), "the kernel did not refuse an ack on the ungranted IRQ slot")
}

/// Signals the notification in the slot where channel `id`'s cap would be,
/// bypassing the library's check. A Signal returns no error, so only the
/// peer can tell whether it arrived (see `pong`).
pub fn raw_notify(id: u8) {
    sel4::Cap::<sel4::cap_type::Notification>::from_bits(monitor_spec::abi::slot::NOTIFY_BASE + u64::from(id)).signal();
}

/// `Err(message)` unless `cond`.
pub fn ensure(cond: bool, message: &'static str) -> Result<(), &'static str> {
    if cond {
        Ok(())
    } else {
        Err(message)
    }
}

/// What the ring example's two PDs share: sizes (matching its system.xml)
/// and the three mapped regions.
pub mod ring {
    use core::ptr::NonNull;

    use sel4_microkit::{memory_region_symbol, MemoryRegion};
    use sel4_shared_ring_buffer::SharedRegion;

    pub const RING_SIZE: usize = 0x1000;
    pub const BUFFERS: usize = 32;
    pub const BUFFER_SIZE: usize = 128;
    pub const DESCRIPTORS: u64 = 10_000;

    /// The free ring, the used ring and the data region (`data_size` bytes)
    /// of this PD, mapped with `setvar_vaddr` `free_ring_vaddr`,
    /// `used_ring_vaddr` and `data_vaddr`.
    pub fn regions(data_size: usize) -> Result<(SharedRegion, SharedRegion, MemoryRegion), &'static str> {
        let free = memory_region_symbol!(free_ring_vaddr, RING_SIZE).map_err(|_| "free ring not mapped")?;
        let used = memory_region_symbol!(used_ring_vaddr, RING_SIZE).map_err(|_| "used ring not mapped")?;
        let data = memory_region_symbol!(data_vaddr, data_size).map_err(|_| "data not mapped")?;
        let shared = |r: MemoryRegion| {
            let base = NonNull::new(r.base()).ok_or("null region")?;
            // SAFETY: system.xml maps the region rw for the PD's whole life,
            // and each PD uses each ring region for exactly one ring end.
            unsafe { SharedRegion::new(base, r.size()) }.map_err(|_| "bad ring region")
        };
        Ok((shared(free)?, shared(used)?, data))
    }
}

/// What MK0018 and MK0019 share: their system's layout (the virtio-mmio
/// window, the DMA region, the transport's IRQ), the disk the run gives
/// them (a fresh 1 MiB image for MK0018, the same file again for MK0019)
/// and the pattern MK0018 writes and MK0019 finds after the reboot.
pub mod blk {
    use core::fmt;

    use sel4_microkit::{memory_region_symbol, Channel};
    use virtio_blk::{Device, Dma, Mmio};

    /// virtio-mmio transport 0's IRQ (SPI 16, INTID 48).
    pub const IRQ: Channel = Channel::new(1);
    /// The keeper, told once the verdict is out.
    pub const KEEPER: Channel = Channel::new(2);
    /// 1 MiB in sectors.
    pub const CAPACITY: u64 = 2048;
    /// The pattern's sectors.
    pub const FIRST: u64 = 1000;
    pub const SECTORS: u32 = 8;
    const DMA_SIZE: usize = 0x4000;

    /// The pattern's byte `i`, counted from sector `FIRST`: it differs per
    /// sector, so one landing in the wrong place shows.
    pub fn pattern(i: usize) -> u8 {
        let sector = FIRST as usize + i / virtio_blk::SECTOR_SIZE;
        (sector * 29 + (i % virtio_blk::SECTOR_SIZE) * 7 + 3) as u8
    }

    pub fn pattern_len() -> usize {
        SECTORS as usize * virtio_blk::SECTOR_SIZE
    }

    /// Why a check failed: a text, or a text and the driver's error.
    #[derive(Debug, Clone, Copy)]
    pub enum Failure {
        Check(&'static str),
        Driver(&'static str, virtio_blk::Error),
        Capacity(u64),
    }

    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Failure::Check(what) => f.write_str(what),
                Failure::Driver(what, e) => write!(f, "{what}: {e}"),
                Failure::Capacity(sectors) => write!(f, "the disk has {sectors} sectors, want {CAPACITY} (1 MiB)"),
            }
        }
    }

    impl From<&'static str> for Failure {
        fn from(what: &'static str) -> Failure {
            Failure::Check(what)
        }
    }

    /// The driver: on the transport mapped at `virtio_mmio_vaddr` with the
    /// DMA region at `blk_dma_vaddr` (its physical address in
    /// `blk_dma_paddr`), checked to be the 1 MiB disk.
    pub fn open() -> Result<Device, Failure> {
        let window = memory_region_symbol!(virtio_mmio_vaddr, Mmio::SIZE).map_err(|_| "the virtio-mmio window is not mapped")?;
        let dma = memory_region_symbol!(blk_dma_vaddr, DMA_SIZE).map_err(|_| "the DMA region is not mapped")?;
        #[no_mangle]
        #[used]
        static blk_dma_paddr: u64 = 0;
        // SAFETY: a plain read of our own static, which the monitor filled.
        let paddr = unsafe { core::ptr::read_volatile(&blk_dma_paddr) };
        if paddr == 0 {
            return Err("blk_dma_paddr was not set (no setvar region_paddr)".into());
        }
        // SAFETY: system.xml maps transport 0's page here, uncached, for
        // the PD's life, and only this PD drives it.
        let regs = unsafe { Mmio::new(window.base() as usize) };
        // SAFETY: system.xml maps the region rw for the PD's life and
        // nothing else in this PD uses it; the monitor made it from
        // contiguous RAM and wrote its physical address into blk_dma_paddr.
        let dma = unsafe { Dma::new(dma.base(), paddr, dma.size()) }.map_err(|e| Failure::Driver("the DMA region", e))?;
        let disk = Device::probe(regs, dma).map_err(|e| Failure::Driver("probe", e))?;
        if disk.capacity() != CAPACITY {
            return Err(Failure::Capacity(disk.capacity()));
        }
        Ok(disk)
    }

    /// On the transport's IRQ: acks the device (whose line stays up until
    /// then), then the IRQ, and returns the request's outcome once it is done.
    pub fn on_irq(disk: &mut Device) -> Result<Option<Result<(), virtio_blk::Error>>, Failure> {
        disk.ack_interrupt();
        let outcome = disk.poll();
        IRQ.irq_ack().map_err(|_| "irq_ack refused on the transport's IRQ")?;
        Ok(outcome)
    }

    /// The pattern's part of the data area.
    pub fn pattern_area(data: &mut [u8]) -> Result<&mut [u8], Failure> {
        data.get_mut(..pattern_len()).ok_or(Failure::Check("the data area is smaller than the pattern"))
    }

    /// Prints the verdict and lets the keeper go.
    pub fn report(name: &str, description: &str, result: Result<(), Failure>) {
        crate::report(name, description, result);
        let _ = KEEPER.notify();
    }

    /// Whether the data area's start holds the pattern.
    pub fn holds_pattern(disk: &mut Device) -> Result<bool, Failure> {
        let data = disk.data_mut().map_err(|e| Failure::Driver("data area", e))?;
        Ok(pattern_area(data)?.iter().enumerate().all(|(i, &b)| b == pattern(i)))
    }
}
