//! XNU's disk: QEMU's virtio-blk device on virtio-mmio transport 0, which
//! system.xml maps into XNU with a DMA region and the transport's IRQ.
//! One transfer at a time, ended by the interrupt (`Disk::interrupt`).

use alloc::format;
use alloc::string::String;

use sel4_microkit::{memory_region_symbol, Channel};
use virtio_blk::{Device, Dma, Mmio, Op, Request};
use xnu_objstore::{Transfer, DATA_BYTES, DISK_SECTORS};

/// The transport's IRQ, as system.xml gives it to XNU.
pub const DISK_IRQ: Channel = Channel::new(24);

/// The DMA region's size in system.xml: the driver's rings, then the data area.
const DMA_BYTES: usize = 0x6000;

#[no_mangle]
#[used]
static disk_dma_paddr: u64 = 0;

pub struct Disk {
    device: Device,
}

impl Disk {
    /// The device, brought up and checked to hold the object store.
    pub fn open() -> Result<Disk, String> {
        let window = memory_region_symbol!(virtio_mmio, Mmio::SIZE).map_err(|e| format!("the virtio-mmio window: {e}"))?;
        let dma = memory_region_symbol!(disk_dma, DMA_BYTES).map_err(|e| format!("the DMA region: {e}"))?;
        // SAFETY: a plain read of our own static, which the monitor filled.
        let paddr = unsafe { core::ptr::read_volatile(&disk_dma_paddr) };
        if paddr == 0 {
            return Err("no setvar gives disk_dma_paddr".into());
        }
        // SAFETY: system.xml maps transport 0's page here uncached for XNU's
        // life, and nothing else in XNU drives it.
        let regs = unsafe { Mmio::new(window.base() as usize) };
        // SAFETY: system.xml maps the region read-write for XNU's life, only
        // this module uses it, and the monitor made it of contiguous RAM
        // whose physical address it wrote into disk_dma_paddr.
        let dma = unsafe { Dma::new(dma.base(), paddr, dma.size()) }.map_err(|e| format!("the DMA region: {e}"))?;
        let device = Device::probe(regs, dma).map_err(|e| format!("no disk ({e})"))?;
        if device.capacity() < DISK_SECTORS {
            return Err(format!("the disk has {} sectors, the object store needs {DISK_SECTORS}", device.capacity()));
        }
        if (device.data_sectors() as usize) * virtio_blk::SECTOR_SIZE < DATA_BYTES {
            return Err("the DMA region's data area is smaller than a transfer".into());
        }
        Ok(Disk { device })
    }

    /// The data area transfers go through.
    pub fn data(&mut self) -> Option<&mut [u8]> {
        self.device.data_mut().ok()
    }

    pub fn start(&mut self, transfer: Transfer) -> Result<(), virtio_blk::Error> {
        let request = match transfer {
            Transfer::Read { sector, sectors } => Request { op: Op::Read, sector, sectors },
            Transfer::Write { sector, sectors } => Request { op: Op::Write, sector, sectors },
        };
        self.device.start(request)
    }

    /// On the IRQ: whether the transfer in flight ended well, once it ended.
    pub fn interrupt(&mut self) -> Option<bool> {
        self.device.ack_interrupt();
        let done = self.device.poll();
        let _ = DISK_IRQ.irq_ack();
        done.map(|r| r.is_ok())
    }
}
