//! A virtio-blk driver for the virtio-mmio transport, modern (version 2)
//! only: one virtqueue of [`QUEUE_SIZE`] entries and one request in flight,
//! all in one DMA region the caller gives (see [`Dma`] for its layout).
//!
//! ```text
//! let mut disk = Device::probe(regs, dma)?;       // reset .. DRIVER_OK
//! disk.data_mut()?[..512].fill(7);
//! disk.start(Request { op: Op::Write, sector: 0, sectors: 1 })?;
//! // on the transport's interrupt:
//! disk.ack_interrupt();
//! if let Some(done) = disk.poll() { done? }
//! ```
//!
//! Everything the device writes (used ring, status byte, config space) is
//! checked; a value out of protocol is an [`Error`], never a panic, and
//! leaves the device [`Error::Broken`] for further requests.
#![cfg_attr(not(test), no_std)]

use core::fmt;

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes};

pub mod mmio;

pub use mmio::{Mmio, Registers};
use mmio::{reg, status};

/// Entries in the virtqueue: a request takes three (header, data, status).
pub const QUEUE_SIZE: u16 = 4;
pub const SECTOR_SIZE: usize = 512;

// The DMA region's layout. Offsets are from its start; the split
// virtqueue's parts need 16 (descriptors), 2 (available) and 4 (used)
// byte alignment, which a 16-aligned region gives.
const DESCRIPTORS: usize = 0x00;
const AVAILABLE: usize = 0x40;
const USED: usize = 0x80;
const HEADER: usize = 0xc0;
const STATUS_BYTE: usize = 0xd0;
/// The data area starts here and runs to the region's end (whole sectors).
pub const DATA_OFFSET: usize = 0x200;

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
/// The one request's chain always starts at descriptor 0.
const HEAD: u16 = 0;

/// A split virtqueue descriptor: a buffer the device reads (or, with
/// `DESC_F_WRITE`, writes), chained to `next` by `DESC_F_NEXT`.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Descriptor {
    addr: U64,
    len: U32,
    flags: U16,
    next: U16,
}

/// The device's record of a finished chain: its head and the bytes it wrote.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct UsedElement {
    id: U32,
    len: U32,
}

/// virtio-blk's request header, the chain's first (device-read) buffer.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Header {
    kind: U32,
    reserved: U32,
    sector: U64,
}

const _: () = assert!(size_of::<Descriptor>() == 16 && size_of::<UsedElement>() == 8 && size_of::<Header>() == 16);

const BLK_T_IN: u32 = 0;
const BLK_T_OUT: u32 = 1;
const BLK_S_OK: u8 = 0;
const BLK_S_IOERR: u8 = 1;
const BLK_S_UNSUPP: u8 = 2;
/// Written before each request: a device that completes without writing
/// the status byte is caught.
const STATUS_UNSET: u8 = 0xff;

/// Times to re-read the config space while its generation changes.
const CONFIG_TRIES: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    NoTransport { magic: u32 },
    Version { version: u32 },
    NotBlock { device_id: u32 },
    ResetIgnored,
    NoVersion1,
    FeaturesRefused,
    QueueInUse,
    QueueTooSmall { max: u32 },
    DmaTooSmall { len: usize },
    DmaUnaligned { vaddr: usize, paddr: u64 },
    DmaWraps,
    ConfigUnstable,
    Busy,
    Broken,
    NoSectors,
    OutOfRange { sector: u64, sectors: u32, capacity: u64 },
    DataTooSmall { sectors: u32, room: u32 },
    UsedIndex { expected: u16, got: u16 },
    UsedId { id: u32 },
    UsedLength { len: u32, most: u32 },
    Status { value: u8 },
    NeedsReset,
    IoError,
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoTransport { magic } => write!(f, "no virtio-mmio transport: magic {magic:#x}, want {:#x}", mmio::MAGIC),
            Error::Version { version } => write!(
                f,
                "virtio-mmio version {version}, want 2 (modern; QEMU needs -global virtio-mmio.force-legacy=false)"
            ),
            Error::NotBlock { device_id: 0 } => write!(f, "no device on this virtio-mmio transport (device id 0)"),
            Error::NotBlock { device_id } => write!(f, "device id {device_id} is not a block device (2)"),
            Error::ResetIgnored => write!(f, "the device status is not 0 after a reset"),
            Error::NoVersion1 => write!(f, "the device does not offer VIRTIO_F_VERSION_1"),
            Error::FeaturesRefused => write!(f, "the device did not keep FEATURES_OK: it refused our features"),
            Error::QueueInUse => write!(f, "queue 0 is already ready after a reset"),
            Error::QueueTooSmall { max } => write!(f, "queue 0 holds at most {max} entries, want {QUEUE_SIZE}"),
            Error::DmaTooSmall { len } => {
                write!(f, "DMA region of {len:#x} bytes, want at least {:#x}", DATA_OFFSET + SECTOR_SIZE)
            }
            Error::DmaUnaligned { vaddr, paddr } => {
                write!(f, "DMA region at vaddr {vaddr:#x} paddr {paddr:#x} is not 16-byte aligned")
            }
            Error::DmaWraps => write!(f, "DMA region wraps around the address space"),
            Error::ConfigUnstable => write!(f, "the capacity changed under every one of {CONFIG_TRIES} reads"),
            Error::Busy => write!(f, "a request is already in flight"),
            Error::Broken => write!(f, "the device broke the protocol earlier; no more requests"),
            Error::NoSectors => write!(f, "a request of 0 sectors"),
            Error::OutOfRange { sector, sectors, capacity } => {
                write!(f, "sectors {sector}+{sectors} are beyond the disk's {capacity} sectors")
            }
            Error::DataTooSmall { sectors, room } => {
                write!(f, "{sectors} sectors do not fit the data area's {room}")
            }
            Error::UsedIndex { expected, got } => {
                write!(f, "the device moved the used index to {got}, want {expected} (one request in flight)")
            }
            Error::UsedId { id } => write!(f, "the device returned descriptor {id}, want {HEAD}"),
            Error::UsedLength { len, most } => {
                write!(f, "the device says it wrote {len} bytes, want {most} (more for an error is out of protocol)")
            }
            Error::Status { value } => write!(f, "the device wrote status byte {value:#x}, not OK, IOERR or UNSUPP"),
            Error::NeedsReset => write!(f, "the device set DEVICE_NEEDS_RESET"),
            Error::IoError => write!(f, "the device reported an I/O error (VIRTIO_BLK_S_IOERR)"),
            Error::Unsupported => write!(f, "the device does not support the request (VIRTIO_BLK_S_UNSUPP)"),
        }
    }
}

impl Error {
    /// Whether the device stepped outside the protocol (so the queue's
    /// state can no longer be trusted).
    fn breaks_device(self) -> bool {
        matches!(self, Error::UsedIndex { .. } | Error::UsedId { .. } | Error::UsedLength { .. } | Error::Status { .. } | Error::NeedsReset)
    }
}

/// The DMA region: the virtqueue at its start, the request header and status
/// byte after it, and the data area from [`DATA_OFFSET`] to its end.
#[derive(Debug)]
pub struct Dma {
    vaddr: *mut u8,
    paddr: u64,
    len: usize,
}

impl Dma {
    /// # Safety
    /// 1. `[vaddr, vaddr + len)` is mapped read-write for as long as the
    ///    value (and the [`Device`] it goes to) lives, and nothing else in
    ///    this program uses it;
    /// 2. the device sees the same bytes at `[paddr, paddr + len)`
    ///    (physically contiguous, coherent).
    pub unsafe fn new(vaddr: *mut u8, paddr: u64, len: usize) -> Result<Dma, Error> {
        if len < DATA_OFFSET + SECTOR_SIZE {
            return Err(Error::DmaTooSmall { len });
        }
        if !(vaddr as usize).is_multiple_of(16) || !paddr.is_multiple_of(16) {
            return Err(Error::DmaUnaligned { vaddr: vaddr as usize, paddr });
        }
        if (vaddr as usize).checked_add(len).is_none() || paddr.checked_add(len as u64).is_none() {
            return Err(Error::DmaWraps);
        }
        Ok(Dma { vaddr, paddr, len })
    }

    /// Writes a record of the layout (little-endian fields, alignment 1).
    fn put<T: IntoBytes + Immutable>(&self, offset: usize, value: T) {
        debug_assert!(offset + size_of::<T>() <= DATA_OFFSET);
        // SAFETY: offsets are the layout's constants, whose records end
        // below DATA_OFFSET, which `new` checked is inside the region; T
        // has alignment 1.
        unsafe { self.vaddr.add(offset).cast::<T>().write_volatile(value) }
    }

    /// Reads what the device may have written: only types for which any
    /// bytes are a value (`FromBytes`).
    fn get<T: FromBytes>(&self, offset: usize) -> T {
        debug_assert!(offset + size_of::<T>() <= DATA_OFFSET);
        // SAFETY: as for `put`; any bytes there are a valid T.
        unsafe { self.vaddr.add(offset).cast::<T>().read_volatile() }
    }

    /// Capped so that a request's byte count (plus the status byte) fits a u32.
    fn data_sectors(&self) -> u32 {
        let most = (u32::MAX as usize - 1) / SECTOR_SIZE;
        ((self.len - DATA_OFFSET) / SECTOR_SIZE).min(most) as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Disk to the data area.
    Read,
    /// The data area to disk.
    Write,
}

/// `sectors` sectors from `sector`, to or from the start of the data area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub op: Op,
    pub sector: u64,
    pub sectors: u32,
}

impl Request {
    fn data_len(&self) -> u32 {
        self.sectors * SECTOR_SIZE as u32
    }
}

/// What the device may write for the request in flight: the data (a read)
/// and the status byte.
#[derive(Debug, Clone, Copy)]
struct Pending {
    writable: u32,
}

pub struct Device<R: Registers = Mmio> {
    regs: R,
    dma: Dma,
    capacity: u64,
    pending: Option<Pending>,
    /// The used index we have consumed up to.
    last_used: u16,
    broken: bool,
}

impl<R: Registers> Device<R> {
    /// Resets the device behind `regs` and brings it up: checks it is a
    /// modern virtio-mmio block device, accepts VIRTIO_F_VERSION_1 only,
    /// sets up queue 0 in `dma`, reads the capacity. On failure the device
    /// is left FAILED.
    pub fn probe(regs: R, dma: Dma) -> Result<Device<R>, Error> {
        let magic = regs.read(reg::MAGIC);
        if magic != mmio::MAGIC {
            return Err(Error::NoTransport { magic });
        }
        let version = regs.read(reg::VERSION);
        if version != mmio::VERSION_MODERN {
            return Err(Error::Version { version });
        }
        let device_id = regs.read(reg::DEVICE_ID);
        if device_id != mmio::DEVICE_ID_BLOCK {
            return Err(Error::NotBlock { device_id });
        }
        let mut device = Device { regs, dma, capacity: 0, pending: None, last_used: 0, broken: false };
        match device.initialise() {
            Ok(()) => Ok(device),
            Err(e) => {
                let now = device.regs.read(reg::STATUS);
                device.regs.write(reg::STATUS, now | status::FAILED);
                Err(e)
            }
        }
    }

    fn initialise(&mut self) -> Result<(), Error> {
        let regs = &self.regs;
        regs.write(reg::STATUS, 0);
        // virtio-mmio resets on the write: the status reads 0 at once.
        if regs.read(reg::STATUS) != 0 {
            return Err(Error::ResetIgnored);
        }
        regs.write(reg::STATUS, status::ACKNOWLEDGE);
        regs.write(reg::STATUS, status::ACKNOWLEDGE | status::DRIVER);

        regs.write(reg::DEVICE_FEATURES_SEL, mmio::VERSION_1_WORD);
        if regs.read(reg::DEVICE_FEATURES) & mmio::VERSION_1_BIT == 0 {
            return Err(Error::NoVersion1);
        }
        regs.write(reg::DRIVER_FEATURES_SEL, 0);
        regs.write(reg::DRIVER_FEATURES, 0);
        regs.write(reg::DRIVER_FEATURES_SEL, mmio::VERSION_1_WORD);
        regs.write(reg::DRIVER_FEATURES, mmio::VERSION_1_BIT);
        let features_ok = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;
        regs.write(reg::STATUS, features_ok);
        if regs.read(reg::STATUS) & status::FEATURES_OK == 0 {
            return Err(Error::FeaturesRefused);
        }

        regs.write(reg::QUEUE_SEL, 0);
        if regs.read(reg::QUEUE_READY) != 0 {
            return Err(Error::QueueInUse);
        }
        let max = regs.read(reg::QUEUE_NUM_MAX);
        if max < u32::from(QUEUE_SIZE) {
            return Err(Error::QueueTooSmall { max });
        }
        for offset in (0..DATA_OFFSET).step_by(8) {
            self.dma.put(offset, U64::ZERO);
        }
        regs.write(reg::QUEUE_NUM, u32::from(QUEUE_SIZE));
        let at = |offset: usize| self.dma.paddr + offset as u64;
        for (low, high, paddr) in [
            (reg::QUEUE_DESC_LOW, reg::QUEUE_DESC_HIGH, at(DESCRIPTORS)),
            (reg::QUEUE_DRIVER_LOW, reg::QUEUE_DRIVER_HIGH, at(AVAILABLE)),
            (reg::QUEUE_DEVICE_LOW, reg::QUEUE_DEVICE_HIGH, at(USED)),
        ] {
            regs.write(low, paddr as u32);
            regs.write(high, (paddr >> 32) as u32);
        }
        regs.write(reg::QUEUE_READY, 1);

        self.capacity = self.read_capacity()?;
        self.regs.write(reg::STATUS, features_ok | status::DRIVER_OK);
        Ok(())
    }

    /// The capacity from config space, read again while its generation moves.
    fn read_capacity(&self) -> Result<u64, Error> {
        for _ in 0..CONFIG_TRIES {
            let before = self.regs.read(reg::CONFIG_GENERATION);
            let low = self.regs.read(reg::CONFIG);
            let high = self.regs.read(reg::CONFIG + 4);
            if self.regs.read(reg::CONFIG_GENERATION) == before {
                return Ok(u64::from(high) << 32 | u64::from(low));
            }
        }
        Err(Error::ConfigUnstable)
    }

    /// The disk's size in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Sectors the data area holds: the most one request moves.
    pub fn data_sectors(&self) -> u32 {
        self.dma.data_sectors()
    }

    /// The data area; refused while a request is in flight (the device may
    /// be writing it).
    pub fn data(&self) -> Result<&[u8], Error> {
        if self.pending.is_some() {
            return Err(Error::Busy);
        }
        // SAFETY: the data area is inside the region `Dma::new` was
        // promised, used by nothing else; no request is in flight, so the
        // device has no buffer of it to write (one that writes memory it
        // was not given is beyond any driver's checks), and `&self` keeps
        // `start` away while the slice lives.
        Ok(unsafe { core::slice::from_raw_parts(self.dma.vaddr.add(DATA_OFFSET), self.data_len()) })
    }

    /// The data area, to fill before a write.
    pub fn data_mut(&mut self) -> Result<&mut [u8], Error> {
        if self.pending.is_some() {
            return Err(Error::Busy);
        }
        // SAFETY: as for `data`; `&mut self` makes the slice the only access.
        Ok(unsafe { core::slice::from_raw_parts_mut(self.dma.vaddr.add(DATA_OFFSET), self.data_len()) })
    }

    fn data_len(&self) -> usize {
        self.data_sectors() as usize * SECTOR_SIZE
    }

    /// Starts `request`, once it is checked against the disk and the data
    /// area (a refused request never reaches the device).
    pub fn start(&mut self, request: Request) -> Result<(), Error> {
        self.fits_data(&request)?;
        let end = request.sector.checked_add(u64::from(request.sectors));
        if end.is_none_or(|end| end > self.capacity) {
            return Err(Error::OutOfRange { sector: request.sector, sectors: request.sectors, capacity: self.capacity });
        }
        let kind = match request.op {
            Op::Read => BLK_T_IN,
            Op::Write => BLK_T_OUT,
        };
        self.submit(kind, request)
    }

    /// Starts `request` with request type `kind` in its header, checked
    /// against the data area only: for tests of the device's own refusals.
    #[cfg(any(test, feature = "unchecked"))]
    pub fn start_unchecked(&mut self, kind: u32, request: Request) -> Result<(), Error> {
        self.fits_data(&request)?;
        self.submit(kind, request)
    }

    fn fits_data(&self, request: &Request) -> Result<(), Error> {
        if request.sectors == 0 {
            return Err(Error::NoSectors);
        }
        if request.sectors > self.data_sectors() {
            return Err(Error::DataTooSmall { sectors: request.sectors, room: self.data_sectors() });
        }
        Ok(())
    }

    fn submit(&mut self, kind: u32, request: Request) -> Result<(), Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        if self.pending.is_some() {
            return Err(Error::Busy);
        }
        let dma = &self.dma;
        dma.put(HEADER, Header { kind: kind.into(), reserved: U32::ZERO, sector: request.sector.into() });
        dma.put(STATUS_BYTE, STATUS_UNSET);
        let data_flags = match request.op {
            Op::Read => DESC_F_NEXT | DESC_F_WRITE,
            Op::Write => DESC_F_NEXT,
        };
        let chain = [
            (HEADER, 16, DESC_F_NEXT),
            (DATA_OFFSET, request.data_len(), data_flags),
            (STATUS_BYTE, 1, DESC_F_WRITE),
        ];
        for (i, (offset, len, flags)) in (0u16..).zip(chain) {
            let next = (i + 1).into();
            let descriptor = Descriptor { addr: (dma.paddr + offset as u64).into(), len: len.into(), flags: flags.into(), next };
            dma.put(DESCRIPTORS + size_of::<Descriptor>() * usize::from(i), descriptor);
        }
        // One request at a time: the available index equals the used one.
        let index = self.last_used;
        dma.put(AVAILABLE + 4 + 2 * usize::from(index % QUEUE_SIZE), U16::new(HEAD));
        barrier();
        dma.put(AVAILABLE + 2, U16::new(index.wrapping_add(1)));
        barrier();
        let writable = match request.op {
            Op::Read => request.data_len() + 1,
            Op::Write => 1,
        };
        self.pending = Some(Pending { writable });
        self.regs.write(reg::QUEUE_NOTIFY, 0);
        Ok(())
    }

    /// The outcome of the request in flight once the device has returned
    /// it; `None` while it has not (or when none is in flight).
    pub fn poll(&mut self) -> Option<Result<(), Error>> {
        let pending = self.pending?;
        let used = self.dma.get::<U16>(USED + 2).get();
        let outcome = if used == self.last_used {
            if self.regs.read(reg::STATUS) & status::NEEDS_RESET == 0 {
                return None;
            }
            Err(Error::NeedsReset)
        } else {
            barrier();
            self.complete(used, pending)
        };
        self.pending = None;
        if let Err(e) = outcome {
            self.broken |= e.breaks_device();
        }
        Some(outcome)
    }

    fn complete(&mut self, used: u16, pending: Pending) -> Result<(), Error> {
        let expected = self.last_used.wrapping_add(1);
        if used != expected {
            return Err(Error::UsedIndex { expected, got: used });
        }
        let slot = USED + 4 + size_of::<UsedElement>() * usize::from(self.last_used % QUEUE_SIZE);
        self.last_used = expected;
        let element = self.dma.get::<UsedElement>(slot);
        let (id, len) = (element.id.get(), element.len.get());
        if id != u32::from(HEAD) {
            return Err(Error::UsedId { id });
        }
        let most = pending.writable;
        let result = match self.dma.get::<u8>(STATUS_BYTE) {
            // A good read must have filled the whole data area it was given.
            BLK_S_OK if len == most => Ok(()),
            BLK_S_OK => Err(Error::UsedLength { len, most }),
            BLK_S_IOERR => Err(Error::IoError),
            BLK_S_UNSUPP => Err(Error::Unsupported),
            value => Err(Error::Status { value }),
        };
        if len > most {
            return Err(Error::UsedLength { len, most });
        }
        result
    }

    /// Acknowledges the transport's pending interrupt causes (bit 0: a used
    /// buffer, bit 1: a config change) and returns them. Call before
    /// re-arming the IRQ: virtio-mmio holds its line while any is set.
    pub fn ack_interrupt(&self) -> u32 {
        let pending = self.regs.read(reg::INTERRUPT_STATUS);
        self.regs.write(reg::INTERRUPT_ACK, pending);
        pending
    }
}

/// Orders our writes to (and reads from) the DMA region against the
/// device's view of it and against the notify register write.
fn barrier() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier; it touches no memory or register we own.
    unsafe {
        core::arch::asm!("dmb sy", options(nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "aarch64"))]
    core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
}

#[cfg(test)]
mod tests;
