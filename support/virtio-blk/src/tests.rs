//! The driver against a simulated device: a register file in memory that
//! serves the queue from the DMA region (host addresses stand for physical
//! ones) onto an in-memory disk, and can be told to misbehave.

use std::cell::{Cell, RefCell};

use super::*;

const CAPACITY: u64 = 64;
/// One page: the queue, header and status, then 7 sectors of data.
const DMA_LEN: usize = 0x1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    None,
    /// Leave the request in the queue until `Fake::serve` is called.
    Hold,
    UsedId(u32),
    UsedLen(u32),
    /// Move the used index by two.
    SkipIndex,
    Status(u8),
    /// Complete without writing the status byte.
    NoStatus,
}

struct Fake {
    regs: RefCell<[u32; 0x80]>,
    features: [u32; 2],
    accept_features: bool,
    /// Ignores writes to the status register.
    sticky_status: bool,
    driver_features: RefCell<[u32; 2]>,
    disk: RefCell<Vec<u8>>,
    notifies: Cell<u32>,
    tamper: Cell<Tamper>,
    served: Cell<u16>,
}

impl Fake {
    fn new() -> Fake {
        let mut regs = [0; 0x80];
        regs[reg::MAGIC / 4] = mmio::MAGIC;
        regs[reg::VERSION / 4] = 2;
        regs[reg::DEVICE_ID / 4] = 2;
        regs[reg::QUEUE_NUM_MAX / 4] = 16;
        regs[reg::CONFIG / 4] = CAPACITY as u32;
        regs[reg::STATUS / 4] = status::DRIVER_OK;
        Fake {
            regs: RefCell::new(regs),
            features: [0, 1],
            accept_features: true,
            sticky_status: false,
            driver_features: RefCell::new([0; 2]),
            disk: RefCell::new(vec![0; CAPACITY as usize * SECTOR_SIZE]),
            notifies: Cell::new(0),
            tamper: Cell::new(Tamper::None),
            served: Cell::new(0),
        }
    }

    fn with(offset: usize, value: u32) -> Fake {
        let fake = Fake::new();
        fake.regs.borrow_mut()[offset / 4] = value;
        fake
    }

    fn reg(&self, offset: usize) -> u32 {
        self.regs.borrow()[offset / 4]
    }

    fn addr(&self, low: usize, high: usize) -> *mut u8 {
        (u64::from(self.reg(high)) << 32 | u64::from(self.reg(low))) as usize as *mut u8
    }

    /// Serves every request made available since the last call, as QEMU
    /// does: out of range is IOERR, an unknown type UNSUPP.
    fn serve(&self) {
        let (desc, avail, used) = (
            self.addr(reg::QUEUE_DESC_LOW, reg::QUEUE_DESC_HIGH),
            self.addr(reg::QUEUE_DRIVER_LOW, reg::QUEUE_DRIVER_HIGH),
            self.addr(reg::QUEUE_DEVICE_LOW, reg::QUEUE_DEVICE_HIGH),
        );
        let size = self.reg(reg::QUEUE_NUM) as u16;
        // SAFETY: the addresses are the test's DMA buffer, which outlives
        // the device, laid out by the driver under test.
        unsafe {
            while self.served.get() != avail.add(2).cast::<u16>().read() {
                let slot = self.served.get() % size;
                let head = avail.add(4 + 2 * usize::from(slot)).cast::<u16>().read();
                let d = |i: u16| desc.add(16 * usize::from(i));
                let buffer = |i: u16| (d(i).cast::<u64>().read() as usize as *mut u8, d(i).add(8).cast::<u32>().read() as usize);
                let next = |i: u16| d(i).add(14).cast::<u16>().read();
                let (header, _) = buffer(head);
                let (data, data_len) = buffer(next(head));
                let (status, _) = buffer(next(next(head)));
                let kind = header.cast::<u32>().read();
                let start = header.add(8).cast::<u64>().read() as usize * SECTOR_SIZE;
                let mut disk = self.disk.borrow_mut();
                let code = match (kind, disk.get_mut(start..start + data_len)) {
                    (BLK_T_IN, Some(sectors)) => {
                        std::ptr::copy_nonoverlapping(sectors.as_ptr(), data, data_len);
                        BLK_S_OK
                    }
                    (BLK_T_OUT, Some(sectors)) => {
                        std::ptr::copy_nonoverlapping(data, sectors.as_mut_ptr(), data_len);
                        BLK_S_OK
                    }
                    (BLK_T_IN | BLK_T_OUT, None) => BLK_S_IOERR,
                    _ => BLK_S_UNSUPP,
                };
                let writable = if kind == BLK_T_OUT { 1 } else { data_len as u32 + 1 };
                let (mut id, mut len, mut step) = (u32::from(head), writable, 1);
                match self.tamper.get() {
                    Tamper::Status(value) => status.write(value),
                    Tamper::NoStatus => {}
                    _ => status.write(code),
                }
                match self.tamper.get() {
                    Tamper::UsedId(bad) => id = bad,
                    Tamper::UsedLen(bad) => len = bad,
                    Tamper::SkipIndex => step = 2,
                    _ => {}
                }
                let index = used.add(2).cast::<u16>().read();
                let element = used.add(4 + 8 * usize::from(index % size));
                element.cast::<u32>().write(id);
                element.add(4).cast::<u32>().write(len);
                used.add(2).cast::<u16>().write(index.wrapping_add(step));
                self.served.set(self.served.get().wrapping_add(1));
                self.regs.borrow_mut()[reg::INTERRUPT_STATUS / 4] |= 1;
            }
        }
    }
}

impl Registers for &Fake {
    fn read(&self, offset: usize) -> u32 {
        match offset {
            reg::DEVICE_FEATURES => self.features.get(self.reg(reg::DEVICE_FEATURES_SEL) as usize).copied().unwrap_or(0),
            _ => self.reg(offset),
        }
    }

    fn write(&self, offset: usize, value: u32) {
        match offset {
            reg::QUEUE_NOTIFY => {
                self.notifies.set(self.notifies.get() + 1);
                if self.tamper.get() != Tamper::Hold {
                    self.serve();
                }
            }
            reg::INTERRUPT_ACK => self.regs.borrow_mut()[reg::INTERRUPT_STATUS / 4] &= !value,
            reg::STATUS if self.sticky_status => {}
            reg::STATUS if !self.accept_features => self.regs.borrow_mut()[offset / 4] = value & !status::FEATURES_OK,
            reg::DRIVER_FEATURES => {
                if let Some(word) = self.driver_features.borrow_mut().get_mut(self.reg(reg::DRIVER_FEATURES_SEL) as usize) {
                    *word = value;
                }
            }
            _ => self.regs.borrow_mut()[offset / 4] = value,
        }
    }
}

#[repr(C, align(4096))]
struct Buffer([u8; DMA_LEN]);

fn dma(buffer: &mut Buffer) -> Dma {
    let vaddr = buffer.0.as_mut_ptr();
    // SAFETY: the buffer outlives the device in every test, and the fake
    // device reads it at the same (host) address.
    unsafe { Dma::new(vaddr, vaddr as u64, DMA_LEN) }.unwrap()
}

fn up<'a>(fake: &'a Fake, buffer: &mut Buffer) -> Device<&'a Fake> {
    Device::probe(fake, dma(buffer)).unwrap()
}

fn read(sector: u64, sectors: u32) -> Request {
    Request { op: Op::Read, sector, sectors }
}

fn write(sector: u64, sectors: u32) -> Request {
    Request { op: Op::Write, sector, sectors }
}

#[test]
fn probe_accepts_version_1_only_and_sets_the_queue_up() {
    let fake = Fake::new();
    let mut buffer = Buffer([0xaa; DMA_LEN]);
    let base = buffer.0.as_ptr() as u32;
    let disk = up(&fake, &mut buffer);
    assert_eq!(disk.capacity(), CAPACITY);
    assert_eq!(disk.data_sectors(), 7);
    let want = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK;
    assert_eq!(fake.reg(reg::STATUS), want);
    assert_eq!(*fake.driver_features.borrow(), [0, 1]);
    assert_eq!((fake.reg(reg::QUEUE_NUM), fake.reg(reg::QUEUE_READY)), (u32::from(QUEUE_SIZE), 1));
    assert_eq!(fake.reg(reg::QUEUE_DESC_LOW), base + DESCRIPTORS as u32);
    assert_eq!(fake.reg(reg::QUEUE_DRIVER_LOW), base + AVAILABLE as u32);
    assert_eq!(fake.reg(reg::QUEUE_DEVICE_LOW), base + USED as u32);
    // The queue's memory starts zeroed, whatever the region held.
    assert!(buffer.0[..DATA_OFFSET].iter().all(|&b| b == 0));
}

#[test]
fn probe_refuses_what_is_not_a_modern_block_device() {
    let mut buffer = Buffer([0; DMA_LEN]);
    let probe = |fake: &Fake, buffer: &mut Buffer| Device::probe(fake, dma(buffer)).err();
    assert_eq!(probe(&Fake::with(reg::MAGIC, 0), &mut buffer), Some(Error::NoTransport { magic: 0 }));
    let legacy = probe(&Fake::with(reg::VERSION, 1), &mut buffer);
    assert_eq!(legacy, Some(Error::Version { version: 1 }));
    assert!(legacy.unwrap().to_string().contains("force-legacy=false"));
    assert_eq!(probe(&Fake::with(reg::DEVICE_ID, 0), &mut buffer), Some(Error::NotBlock { device_id: 0 }));
    assert_eq!(probe(&Fake::with(reg::QUEUE_NUM_MAX, 2), &mut buffer), Some(Error::QueueTooSmall { max: 2 }));
    assert_eq!(probe(&Fake::with(reg::QUEUE_READY, 1), &mut buffer), Some(Error::QueueInUse));
    let old = Fake { features: [0xffff_ffff, 0], ..Fake::new() };
    assert_eq!(probe(&old, &mut buffer), Some(Error::NoVersion1));
    assert_ne!(old.reg(reg::STATUS) & status::FAILED, 0, "a refused device is left FAILED");
    let stuck = Fake { sticky_status: true, ..Fake::new() };
    assert_eq!(probe(&stuck, &mut buffer), Some(Error::ResetIgnored));
    let picky = Fake { accept_features: false, ..Fake::new() };
    assert_eq!(probe(&picky, &mut buffer), Some(Error::FeaturesRefused));
}

#[test]
fn dma_regions_are_checked() {
    let mut buffer = Buffer([0; DMA_LEN]);
    let p = buffer.0.as_mut_ptr();
    // SAFETY: each is refused before anything is touched.
    unsafe {
        assert_eq!(Dma::new(p, 0x1000, DATA_OFFSET).err(), Some(Error::DmaTooSmall { len: DATA_OFFSET }));
        assert!(matches!(Dma::new(p.add(8), 0x1000, 0x1000), Err(Error::DmaUnaligned { .. })));
        assert!(matches!(Dma::new(p, 0x1004, 0x1000), Err(Error::DmaUnaligned { .. })));
        assert_eq!(Dma::new(p, u64::MAX - 0xfff, 0x1000).err(), Some(Error::DmaWraps));
    }
}

#[test]
fn a_write_reads_back_and_lands_on_the_disk() {
    let fake = Fake::new();
    let mut buffer = Buffer([0; DMA_LEN]);
    let mut disk = up(&fake, &mut buffer);
    for (i, b) in disk.data_mut().unwrap()[..2 * SECTOR_SIZE].iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    disk.start(write(10, 2)).unwrap();
    assert_eq!(disk.ack_interrupt(), 1);
    assert_eq!(fake.reg(reg::INTERRUPT_STATUS), 0);
    assert_eq!(disk.poll(), Some(Ok(())));
    assert_eq!(fake.disk.borrow()[10 * SECTOR_SIZE + 300], (300 % 251) as u8);
    disk.data_mut().unwrap().fill(0);
    // Enough requests to wrap the queue's ring several times.
    for _ in 0..10 {
        disk.start(read(10, 2)).unwrap();
        assert_eq!(disk.poll(), Some(Ok(())));
    }
    let data = disk.data().unwrap();
    assert!(data[..2 * SECTOR_SIZE].iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    assert_eq!(disk.poll(), None, "nothing in flight");
}

#[test]
fn requests_outside_the_disk_or_data_area_never_reach_the_device() {
    let fake = Fake::new();
    let mut buffer = Buffer([0; DMA_LEN]);
    let mut disk = up(&fake, &mut buffer);
    let beyond = Error::OutOfRange { sector: CAPACITY - 1, sectors: 2, capacity: CAPACITY };
    assert_eq!(disk.start(read(CAPACITY - 1, 2)), Err(beyond));
    assert!(matches!(disk.start(write(u64::MAX, 1)), Err(Error::OutOfRange { .. })));
    assert_eq!(disk.start(read(0, 8)), Err(Error::DataTooSmall { sectors: 8, room: 7 }));
    assert_eq!(disk.start(read(0, 0)), Err(Error::NoSectors));
    assert_eq!(fake.notifies.get(), 0);
    // Nothing was left in flight by them.
    disk.start(read(CAPACITY - 1, 1)).unwrap();
    assert_eq!(disk.poll(), Some(Ok(())));
}

#[test]
fn one_request_at_a_time_and_no_data_access_meanwhile() {
    let fake = Fake::new();
    fake.tamper.set(Tamper::Hold);
    let mut buffer = Buffer([0; DMA_LEN]);
    let mut disk = up(&fake, &mut buffer);
    disk.start(read(0, 1)).unwrap();
    assert_eq!(disk.start(read(1, 1)), Err(Error::Busy));
    assert_eq!(disk.data().err(), Some(Error::Busy));
    assert_eq!(disk.poll(), None, "the device has not answered yet");
    fake.serve();
    assert_eq!(disk.poll(), Some(Ok(())));
    assert!(disk.data().is_ok());
}

#[test]
fn the_devices_own_refusals_are_errors_that_leave_it_usable() {
    let fake = Fake::new();
    let mut buffer = Buffer([0; DMA_LEN]);
    let mut disk = up(&fake, &mut buffer);
    disk.start_unchecked(BLK_T_IN, read(CAPACITY, 1)).unwrap();
    assert_eq!(disk.poll(), Some(Err(Error::IoError)));
    disk.start_unchecked(0x7f, read(0, 1)).unwrap();
    assert_eq!(disk.poll(), Some(Err(Error::Unsupported)));
    disk.start(read(0, 1)).unwrap();
    assert_eq!(disk.poll(), Some(Ok(())));
}

#[test]
fn a_device_out_of_protocol_is_an_error_and_then_broken() {
    let cases = [
        (Tamper::UsedId(3), read(0, 1), Error::UsedId { id: 3 }),
        (Tamper::UsedId(u32::MAX), read(0, 1), Error::UsedId { id: u32::MAX }),
        (Tamper::UsedLen(SECTOR_SIZE as u32 + 2), read(0, 1), Error::UsedLength { len: 514, most: 513 }),
        (Tamper::UsedLen(3), read(0, 1), Error::UsedLength { len: 3, most: 513 }),
        (Tamper::UsedLen(2), write(0, 1), Error::UsedLength { len: 2, most: 1 }),
        (Tamper::SkipIndex, read(0, 1), Error::UsedIndex { expected: 1, got: 2 }),
        (Tamper::Status(7), read(0, 1), Error::Status { value: 7 }),
        (Tamper::NoStatus, write(0, 1), Error::Status { value: STATUS_UNSET }),
    ];
    for (tamper, request, want) in cases {
        let fake = Fake::new();
        fake.tamper.set(tamper);
        let mut buffer = Buffer([0; DMA_LEN]);
        let mut disk = up(&fake, &mut buffer);
        disk.start(request).unwrap();
        assert_eq!(disk.poll(), Some(Err(want)), "{tamper:?}");
        assert_eq!(disk.start(read(0, 1)), Err(Error::Broken), "{tamper:?}");
    }
}

#[test]
fn needs_reset_ends_the_request_in_flight() {
    let fake = Fake::new();
    fake.tamper.set(Tamper::Hold);
    let mut buffer = Buffer([0; DMA_LEN]);
    let mut disk = up(&fake, &mut buffer);
    disk.start(read(0, 1)).unwrap();
    fake.regs.borrow_mut()[reg::STATUS / 4] |= status::NEEDS_RESET;
    assert_eq!(disk.poll(), Some(Err(Error::NeedsReset)));
    assert_eq!(disk.start(read(0, 1)), Err(Error::Broken));
}

#[test]
fn a_config_space_that_never_settles_is_refused() {
    struct Moving<'a>(&'a Fake, Cell<u32>);
    impl Registers for Moving<'_> {
        fn read(&self, offset: usize) -> u32 {
            if offset == reg::CONFIG_GENERATION {
                self.1.set(self.1.get() + 1);
                return self.1.get();
            }
            (&self.0).read(offset)
        }
        fn write(&self, offset: usize, value: u32) {
            (&self.0).write(offset, value)
        }
    }
    let fake = Fake::new();
    let mut buffer = Buffer([0; DMA_LEN]);
    assert_eq!(Device::probe(Moving(&fake, Cell::new(0)), dma(&mut buffer)).err(), Some(Error::ConfigUnstable));
}
