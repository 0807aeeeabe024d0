//! Single-producer/single-consumer descriptor rings in memory shared between
//! two protection domains that do not trust each other, and byte rings
//! ([`ByteProducer`], [`ByteConsumer`]) with the same header and rules for
//! byte streams.
//!
//! # Protocol
//!
//! A ring region starts with a 128-byte [`RingHeader`] holding `write_index`
//! (offset 0) and `read_index` (offset 64), followed by `capacity` 24-byte
//! [`Descriptor`] slots; `capacity` is a power of two. Indices are
//! free-running `u32` counters and index `i` lives in slot
//! `i & (capacity - 1)`.
//!
//! - **Ownership.** The producer alone writes `write_index`, the consumer
//!   alone writes `read_index`. Each side keeps a private copy of its own
//!   index and never reads it back from shared memory.
//! - **Ordering.** A producer writes the slot, then publishes `write_index`
//!   with Release; the consumer loads it with Acquire, copies the slot out,
//!   then publishes `read_index` with Release.
//! - **Bounds.** Every load of the peer's index is checked: a consumer needs
//!   `peer_write - my_read <= capacity`, a producer `my_write - peer_read <=
//!   capacity` (wrapping). Otherwise the operation fails with
//!   [`Error::PeerIndexCorrupt`]. Slot addresses are always masked, so no
//!   value the peer writes leads outside the region. Descriptor contents are
//!   the peer's too; [`Descriptor::checked_range`] (done automatically by
//!   [`RingBuffers`]) checks them against the data region.
//! - **Setup.** Exactly one side calls `init` (which sets both indices to
//!   the start value, normally 0) before the peer starts; the other side
//!   calls `attach`, which writes nothing.
//! - **Notify.** [`RingBuffers::notify_if_needed`] calls the notify callback
//!   once if anything was enqueued since its last call; call it after each
//!   batch.
//!
//! The only `unsafe` API is [`SharedRegion::new`], where the caller vouches
//! for the memory.
//!
//! # Example
//!
//! ```
//! use core::ptr::NonNull;
//! use sel4_shared_ring_buffer::*;
//!
//! // Stand-in for a Microkit memory region mapped into both PDs.
//! let layout = std::alloc::Layout::from_size_align(4096, 64).unwrap();
//! let base = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) }).unwrap();
//! // SAFETY: mapped, aligned, outlives the rings, used by one end per side.
//! let (tx, rx) = unsafe { (SharedRegion::new(base, 4096)?, SharedRegion::new(base, 4096)?) };
//!
//! let mut producer = RingProducer::init(tx, RingOptions::default())?; // one PD
//! let mut consumer = RingConsumer::attach(rx, RingOptions::default())?; // the other
//! producer.enqueue(Descriptor::new(0, 512, 0, 42))?;
//! let d = consumer.dequeue()?.expect("one descriptor waiting");
//! assert_eq!(d.checked_range(8192)?, 0..512);
//! # drop((producer, consumer));
//! # unsafe { std::alloc::dealloc(base.as_ptr(), layout) };
//! # Ok::<(), Error>(())
//! ```

#![no_std]

#[cfg(test)]
extern crate std;

mod bytes;
mod descriptor;
mod error;
mod pair;
mod region;
mod ring;

pub use bytes::{byte_capacity_for_len, ByteConsumer, ByteProducer};
pub use descriptor::Descriptor;
pub use error::{Error, IndexKind};
pub use pair::{Client, RingBuffers, Server, Side};
pub use region::{
    capacity_for_len, ring_region_len, RingHeader, SharedRegion, CACHE_LINE, HEADER_SIZE,
    MAX_CAPACITY, REGION_ALIGN,
};
pub use ring::{RingConsumer, RingOptions, RingProducer};

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};
    use zerocopy::{FromBytes, IntoBytes};

    #[test]
    fn descriptor_layout() {
        assert_eq!(size_of::<Descriptor>(), 24);
        assert_eq!(offset_of!(Descriptor, offset), 0);
        assert_eq!(offset_of!(Descriptor, len), 8);
        assert_eq!(offset_of!(Descriptor, flags), 12);
        assert_eq!(offset_of!(Descriptor, cookie), 16);
        // The bytes the peer sees, field by field.
        let d = Descriptor::new(
            0x0102_0304_0506_0708,
            0x1112_1314,
            0x2122_2324,
            0x3132_3334_3536_3738,
        );
        let b = d.as_bytes();
        assert_eq!(b[0..8], 0x0102_0304_0506_0708u64.to_ne_bytes());
        assert_eq!(b[8..12], 0x1112_1314u32.to_ne_bytes());
        assert_eq!(b[12..16], 0x2122_2324u32.to_ne_bytes());
        assert_eq!(b[16..24], 0x3132_3334_3536_3738u64.to_ne_bytes());
        assert_eq!(Descriptor::read_from_bytes(b), Ok(d));
    }

    #[test]
    fn header_layout() {
        assert_eq!(size_of::<RingHeader>(), 128);
        assert_eq!(HEADER_SIZE, 128);
        assert_eq!(offset_of!(RingHeader, write_index), 0);
        assert_eq!(offset_of!(RingHeader, read_index), 64);
        let mut bytes = [0u8; 128];
        bytes[64..68].copy_from_slice(&7u32.to_ne_bytes());
        let h = RingHeader::read_from_bytes(&bytes[..]).unwrap();
        assert_eq!((h.write_index, h.read_index), (0, 7));
    }

    #[test]
    fn sizing() {
        assert_eq!(ring_region_len(1), Some(128 + 24));
        assert_eq!(ring_region_len(256), Some(128 + 256 * 24));
        assert_eq!(capacity_for_len(0), None);
        assert_eq!(capacity_for_len(128 + 23), None);
        assert_eq!(capacity_for_len(128 + 24), Some(1));
        assert_eq!(capacity_for_len(128 + 3 * 24), Some(2));
        assert_eq!(capacity_for_len(4096), Some(128));
        assert_eq!(capacity_for_len(usize::MAX), Some(MAX_CAPACITY));
    }
}
