//! The virtio-mmio register window (virtio 1.x, "modern", version 2):
//! offsets, status and feature bits, and the two ways to reach it.

/// Register offsets from the start of a transport's window.
pub mod reg {
    pub const MAGIC: usize = 0x000;
    pub const VERSION: usize = 0x004;
    pub const DEVICE_ID: usize = 0x008;
    pub const DEVICE_FEATURES: usize = 0x010;
    pub const DEVICE_FEATURES_SEL: usize = 0x014;
    pub const DRIVER_FEATURES: usize = 0x020;
    pub const DRIVER_FEATURES_SEL: usize = 0x024;
    pub const QUEUE_SEL: usize = 0x030;
    pub const QUEUE_NUM_MAX: usize = 0x034;
    pub const QUEUE_NUM: usize = 0x038;
    pub const QUEUE_READY: usize = 0x044;
    pub const QUEUE_NOTIFY: usize = 0x050;
    pub const INTERRUPT_STATUS: usize = 0x060;
    pub const INTERRUPT_ACK: usize = 0x064;
    pub const STATUS: usize = 0x070;
    pub const QUEUE_DESC_LOW: usize = 0x080;
    pub const QUEUE_DESC_HIGH: usize = 0x084;
    pub const QUEUE_DRIVER_LOW: usize = 0x090;
    pub const QUEUE_DRIVER_HIGH: usize = 0x094;
    pub const QUEUE_DEVICE_LOW: usize = 0x0a0;
    pub const QUEUE_DEVICE_HIGH: usize = 0x0a4;
    pub const CONFIG_GENERATION: usize = 0x0fc;
    /// virtio-blk's config space: `capacity` (u64, in 512-byte sectors) first.
    pub const CONFIG: usize = 0x100;
}

/// "virt" in little-endian ASCII.
pub const MAGIC: u32 = 0x7472_6976;
pub const VERSION_MODERN: u32 = 2;
pub const DEVICE_ID_BLOCK: u32 = 2;

/// Device status bits.
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const NEEDS_RESET: u32 = 64;
    pub const FAILED: u32 = 128;
}

/// VIRTIO_F_VERSION_1 is feature bit 32: bit 0 of feature word 1.
pub const VERSION_1_WORD: u32 = 1;
pub const VERSION_1_BIT: u32 = 1;

/// 32-bit access to a transport's registers.
pub trait Registers {
    fn read(&self, offset: usize) -> u32;
    fn write(&self, offset: usize, value: u32);
}

/// A transport mapped into this address space (uncached device memory).
#[derive(Debug)]
pub struct Mmio {
    base: *mut u32,
}

impl Mmio {
    /// The window of one transport: 0x200 bytes.
    pub const SIZE: usize = 0x200;

    /// # Safety
    /// `vaddr` is where a transport's 0x200-byte window is mapped as device
    /// memory, for as long as the value is used, and nothing else drives it.
    pub unsafe fn new(vaddr: usize) -> Mmio {
        Mmio { base: vaddr as *mut u32 }
    }
}

impl Registers for Mmio {
    fn read(&self, offset: usize) -> u32 {
        debug_assert!(offset < Self::SIZE && offset.is_multiple_of(4));
        // SAFETY: every offset the driver uses is a constant inside the
        // window `new` was promised, 4-aligned.
        unsafe { self.base.add(offset / 4).read_volatile() }
    }

    fn write(&self, offset: usize, value: u32) {
        debug_assert!(offset < Self::SIZE && offset.is_multiple_of(4));
        // SAFETY: as for `read`.
        unsafe { self.base.add(offset / 4).write_volatile(value) }
    }
}
