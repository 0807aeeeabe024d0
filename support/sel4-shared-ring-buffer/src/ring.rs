//! The two ends of one ring: [`RingProducer`] and [`RingConsumer`].

use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU32, Ordering};

use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::region::{capacity_for_len, ring_region_len, RingHeader, HEADER_SIZE};
use crate::{Descriptor, Error, IndexKind, SharedRegion, MAX_CAPACITY};

/// How to lay out and start a ring. Both sides must use the same values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingOptions {
    /// Number of slots. `None` picks the largest power of two that fits the
    /// region; `Some` must be a power of two that fits.
    pub capacity: Option<u32>,
    /// The value both indices start from. Leave at 0 except to exercise
    /// index wrap-around.
    pub first_index: u32,
}

/// The part shared by both ends: where the ring is and how big.
#[derive(Debug)]
struct RawRing {
    region: SharedRegion,
    /// Power of two, <= MAX_CAPACITY, and `ring_region_len(capacity) <=
    /// region.size()`: every slot pointer below stays inside the region.
    capacity: u32,
}

impl RawRing {
    fn open(region: SharedRegion, options: RingOptions) -> Result<Self, Error> {
        let too_small = |needed| Error::RegionTooSmall {
            len: region.size(),
            needed,
        };
        let capacity = match options.capacity {
            None => capacity_for_len(region.size())
                .ok_or_else(|| too_small(ring_region_len(1).unwrap_or(usize::MAX)))?,
            Some(capacity) => {
                if capacity == 0 || !capacity.is_power_of_two() || capacity > MAX_CAPACITY {
                    return Err(Error::BadCapacity { capacity });
                }
                let needed = ring_region_len(capacity).unwrap_or(usize::MAX);
                if needed > region.size() {
                    return Err(too_small(needed));
                }
                capacity
            }
        };
        Ok(Self { region, capacity })
    }

    fn index(&self, offset: usize) -> &AtomicU32 {
        // SAFETY: the header lies inside the region (checked in `open`), the
        // region is 8-aligned and both index offsets are multiples of 4, and
        // by the `SharedRegion` contract nothing in this address space
        // accesses these bytes non-atomically. The peer lives in another
        // address space, outside the Rust memory model.
        unsafe { AtomicU32::from_ptr(self.region.base().as_ptr().add(offset).cast()) }
    }

    fn write_index(&self) -> &AtomicU32 {
        self.index(offset_of!(RingHeader, write_index))
    }

    fn read_index(&self) -> &AtomicU32 {
        self.index(offset_of!(RingHeader, read_index))
    }

    /// Pointer to the slot for free-running `index`.
    fn slot(&self, index: u32) -> *mut Descriptor {
        // Masking is what keeps a corrupt index from ever reaching memory
        // outside the ring: slot < capacity, and `open` checked the region
        // holds `capacity` slots.
        let slot = (index & (self.capacity - 1)) as usize;
        // SAFETY: HEADER_SIZE + slot * 24 < ring_region_len(capacity) <= size.
        unsafe {
            self.region
                .base()
                .as_ptr()
                .add(HEADER_SIZE + slot * size_of::<Descriptor>())
                .cast()
        }
    }

    fn reset(&self, first_index: u32) {
        self.write_index().store(first_index, Ordering::Release);
        self.read_index().store(first_index, Ordering::Release);
    }
}

/// Copy a `T` out of shared memory. `FromBytes` is what makes this sound:
/// whatever (possibly torn) bytes the peer left there form a valid `T`.
///
/// # Safety
/// `p` must be valid for reads and aligned.
unsafe fn read_shared<T: FromBytes>(p: *const T) -> T {
    unsafe { p.read_volatile() }
}

/// Copy a `T` into shared memory. `IntoBytes` guarantees `T` has no padding,
/// so no uninitialised private bytes leak to the peer.
///
/// # Safety
/// `p` must be valid for writes and aligned.
unsafe fn write_shared<T: IntoBytes + Immutable>(p: *mut T, value: T) {
    unsafe { p.write_volatile(value) }
}

/// The producing end of a ring. Owns `write_index`.
#[derive(Debug)]
pub struct RingProducer {
    ring: RawRing,
    /// Private copy of our index; the shared copy is only ever written.
    write: u32,
}

impl RingProducer {
    /// Set the ring up and become its producer: both shared indices are set
    /// to `options.first_index`. Must run before the peer starts using the
    /// ring (e.g. in the PD's `init`, before the first notification).
    pub fn init(region: SharedRegion, options: RingOptions) -> Result<Self, Error> {
        let ring = RawRing::open(region, options)?;
        ring.reset(options.first_index);
        Ok(Self {
            ring,
            write: options.first_index,
        })
    }

    /// Become the producer of a ring the peer sets up with [`RingConsumer::init`]
    /// (or of one in freshly zeroed memory). Nothing is written.
    pub fn attach(region: SharedRegion, options: RingOptions) -> Result<Self, Error> {
        Ok(Self {
            ring: RawRing::open(region, options)?,
            write: options.first_index,
        })
    }

    /// Number of slots.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// Our own (private) write index.
    pub fn write_index(&self) -> u32 {
        self.write
    }

    /// The consumer's read index, if it is one a correct consumer could have
    /// published: within `capacity` behind our write index.
    fn peer_read(&self) -> Result<u32, Error> {
        let seen = self.ring.read_index().load(Ordering::Acquire);
        if self.write.wrapping_sub(seen) > self.ring.capacity {
            return Err(Error::PeerIndexCorrupt {
                which: IndexKind::Read,
                seen,
                expected_first: self.write.wrapping_sub(self.ring.capacity),
                expected_last: self.write,
            });
        }
        Ok(seen)
    }

    /// Descriptors enqueued but not yet dequeued by the consumer.
    pub fn len(&self) -> Result<u32, Error> {
        Ok(self.write.wrapping_sub(self.peer_read()?))
    }

    /// Whether the consumer has dequeued everything.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len()? == 0)
    }

    /// Slots that can be enqueued right now.
    pub fn free_slots(&self) -> Result<u32, Error> {
        Ok(self.ring.capacity - self.len()?)
    }

    /// Publish one descriptor. Returns [`Error::Full`] if there is no free
    /// slot, and nothing is written on any error.
    pub fn enqueue(&mut self, descriptor: Descriptor) -> Result<(), Error> {
        if self.free_slots()? == 0 {
            return Err(Error::Full);
        }
        // SAFETY: `slot` points at an in-bounds, aligned slot. The Acquire
        // load in `peer_read` ordered the consumer's last read of this slot
        // before this write.
        unsafe { write_shared(self.ring.slot(self.write), descriptor) };
        self.write = self.write.wrapping_add(1);
        // Release: the descriptor is visible before the index that covers it.
        self.ring.write_index().store(self.write, Ordering::Release);
        Ok(())
    }
}

/// The consuming end of a ring. Owns `read_index`.
#[derive(Debug)]
pub struct RingConsumer {
    ring: RawRing,
    /// Private copy of our index; the shared copy is only ever written.
    read: u32,
}

impl RingConsumer {
    /// Set the ring up and become its consumer: both shared indices are set
    /// to `options.first_index`. Must run before the peer starts using the
    /// ring.
    pub fn init(region: SharedRegion, options: RingOptions) -> Result<Self, Error> {
        let ring = RawRing::open(region, options)?;
        ring.reset(options.first_index);
        Ok(Self {
            ring,
            read: options.first_index,
        })
    }

    /// Become the consumer of a ring the peer sets up with
    /// [`RingProducer::init`] (or of one in freshly zeroed memory). Nothing
    /// is written.
    pub fn attach(region: SharedRegion, options: RingOptions) -> Result<Self, Error> {
        Ok(Self {
            ring: RawRing::open(region, options)?,
            read: options.first_index,
        })
    }

    /// Number of slots.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// Our own (private) read index.
    pub fn read_index(&self) -> u32 {
        self.read
    }

    /// The producer's write index, if it is one a correct producer could have
    /// published: at most `capacity` ahead of our read index.
    fn peer_write(&self) -> Result<u32, Error> {
        let seen = self.ring.write_index().load(Ordering::Acquire);
        if seen.wrapping_sub(self.read) > self.ring.capacity {
            return Err(Error::PeerIndexCorrupt {
                which: IndexKind::Write,
                seen,
                expected_first: self.read,
                expected_last: self.read.wrapping_add(self.ring.capacity),
            });
        }
        Ok(seen)
    }

    /// Descriptors waiting to be dequeued.
    pub fn len(&self) -> Result<u32, Error> {
        Ok(self.peer_write()?.wrapping_sub(self.read))
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len()? == 0)
    }

    /// Take the next descriptor, or `None` if the ring is empty.
    ///
    /// The descriptor is copied out of shared memory before it is returned,
    /// but its contents come from the peer: check it (e.g. with
    /// [`Descriptor::checked_range`]) before using it.
    pub fn dequeue(&mut self) -> Result<Option<Descriptor>, Error> {
        if self.len()? == 0 {
            return Ok(None);
        }
        // SAFETY: `slot` points at an in-bounds, aligned slot; the Acquire
        // load in `peer_write` made the producer's write of it visible.
        let descriptor = unsafe { read_shared(self.ring.slot(self.read)) };
        self.read = self.read.wrapping_add(1);
        // Release: our copy is taken before the producer may reuse the slot.
        self.ring.read_index().store(self.read, Ordering::Release);
        Ok(Some(descriptor))
    }
}
