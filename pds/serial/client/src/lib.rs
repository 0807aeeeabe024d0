//! A PD's end of the serial console (`pds/serial`): bytes written go into
//! this PD's transmit ring and the driver is notified; the driver prints
//! each line prefixed with this PD's name from `system.xml`. The console's
//! input owner also has a receive ring the driver fills; [`Serial::read`]
//! takes what is there without blocking (the driver notifies the channel
//! when bytes arrive).
//!
//! ```ignore
//! let tx = memory_region_symbol!(serial_tx, serial_client::RING_SIZE)?;
//! let rx = memory_region_symbol!(serial_rx, serial_client::RING_SIZE)?;
//! let mut console = Serial::new(tx, Some(rx), Channel::new(0))?;
//! console.write(b"hello\n")?;
//! ```
//!
//! The system.xml snippet for a client is in `pds/serial/README.md`.
#![no_std]

use core::fmt;
use core::ptr::NonNull;

use sel4_microkit::{Channel, ChannelError, MemoryRegion};
use sel4_shared_ring_buffer::{ByteConsumer, ByteProducer, SharedRegion};

/// The size of each ring region, as `system.xml` must declare it.
pub const RING_SIZE: usize = 0x1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A ring region is not usable (too small, misaligned), or the driver
    /// left an impossible index in it.
    Ring(sel4_shared_ring_buffer::Error),
    /// The channel may not notify the driver.
    Channel(ChannelError),
    /// A ring region has no address.
    Unmapped,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Ring(e) => write!(f, "serial ring: {e}"),
            Error::Channel(e) => write!(f, "serial channel: {e}"),
            Error::Unmapped => f.write_str("serial ring: the region has no address"),
        }
    }
}

impl From<sel4_shared_ring_buffer::Error> for Error {
    fn from(e: sel4_shared_ring_buffer::Error) -> Self {
        Error::Ring(e)
    }
}

pub struct Serial {
    tx: ByteProducer,
    rx: Option<ByteConsumer>,
    channel: Channel,
}

fn shared(region: MemoryRegion) -> Result<SharedRegion, Error> {
    let base = NonNull::new(region.base()).ok_or(Error::Unmapped)?;
    // SAFETY: the monitor mapped the region read-write from system.xml for
    // the PD's life; only this ring end uses it on this side.
    Ok(unsafe { SharedRegion::new(base, region.size()) }?)
}

impl Serial {
    /// `tx`: this PD's transmit ring; `rx`: its receive ring if it is the
    /// console's input owner; `channel`: its channel to the driver.
    pub fn new(tx: MemoryRegion, rx: Option<MemoryRegion>, channel: Channel) -> Result<Self, Error> {
        let tx = ByteProducer::attach(shared(tx)?)?;
        let rx = rx.map(|rx| shared(rx).and_then(|r| Ok(ByteConsumer::attach(r)?))).transpose()?;
        Ok(Serial { tx, rx, channel })
    }

    /// Queues `bytes` for the driver and notifies it; returns how many were
    /// taken. The driver runs above its clients, so each notify empties the
    /// ring and all of `bytes` goes; fewer only when the driver did not drain.
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, Error> {
        let mut done = 0;
        while done < bytes.len() {
            let n = self.tx.write(&bytes[done..])?;
            self.channel.notify().map_err(Error::Channel)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// How many received bytes wait in the receive ring (0 without one).
    pub fn available(&self) -> Result<usize, Error> {
        match &self.rx {
            Some(rx) => Ok(rx.available()? as usize),
            None => Ok(0),
        }
    }

    /// Copies received bytes into `out` and returns how many (0 if none
    /// are waiting, or this PD has no receive ring). Never blocks.
    pub fn read(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        match &mut self.rx {
            Some(rx) => Ok(rx.read(out)?),
            None => Ok(0),
        }
    }
}
