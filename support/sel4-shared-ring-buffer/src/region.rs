//! The shared byte region a ring lives in, and how the ring is laid out in it.

use core::mem::{offset_of, size_of};
use core::ptr::NonNull;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Descriptor, Error};

/// Size of the cache line each index gets to itself.
pub const CACHE_LINE: usize = 64;

/// Minimum alignment of a ring region: descriptors hold `u64`s and the
/// indices are accessed atomically. A page-aligned Microkit memory region is
/// always enough; 64 additionally keeps the indices on separate cache lines.
pub const REGION_ALIGN: usize = 8;

/// Largest capacity a ring may have. Indices are free-running `u32`s, and the
/// "how far ahead is the peer" check only works while the capacity is at most
/// half of the index space.
pub const MAX_CAPACITY: u32 = 1 << 31;

/// The header at the start of every ring region.
///
/// Each index sits on its own cache line so the producer's and the
/// consumer's stores do not contend for the same line.
#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct RingHeader {
    /// Number of descriptors ever enqueued (mod 2^32). Written only by the
    /// producer.
    pub write_index: u32,
    _pad0: [u8; CACHE_LINE - 4],
    /// Number of descriptors ever dequeued (mod 2^32). Written only by the
    /// consumer.
    pub read_index: u32,
    _pad1: [u8; CACHE_LINE - 4],
}

/// Size of [`RingHeader`]; descriptor slots start at this offset.
pub const HEADER_SIZE: usize = size_of::<RingHeader>();

const _: () = {
    assert!(HEADER_SIZE == 2 * CACHE_LINE);
    assert!(offset_of!(RingHeader, write_index) == 0);
    assert!(offset_of!(RingHeader, read_index) == CACHE_LINE);
    // Slots must stay 8-aligned after the header.
    assert!(HEADER_SIZE.is_multiple_of(core::mem::align_of::<Descriptor>()));
    assert!(REGION_ALIGN >= core::mem::align_of::<Descriptor>());
};

/// Bytes a ring with `capacity` slots needs, or `None` if that overflows
/// `usize`. Useful when sizing the memory regions in a system description.
pub const fn ring_region_len(capacity: u32) -> Option<usize> {
    match (capacity as usize).checked_mul(size_of::<Descriptor>()) {
        Some(slots) => slots.checked_add(HEADER_SIZE),
        None => None,
    }
}

/// The largest power-of-two capacity (at most [`MAX_CAPACITY`]) that fits in
/// `len` bytes, or `None` if not even one slot fits.
pub const fn capacity_for_len(len: usize) -> Option<u32> {
    if len < HEADER_SIZE {
        return None;
    }
    let slots = (len - HEADER_SIZE) / size_of::<Descriptor>();
    if slots == 0 {
        return None;
    }
    // Largest power of two <= slots, clamped to MAX_CAPACITY.
    let pow = 1usize << (usize::BITS - 1 - slots.leading_zeros());
    if pow >= MAX_CAPACITY as usize {
        Some(MAX_CAPACITY)
    } else {
        Some(pow as u32)
    }
}

/// A raw view of one shared memory region holding one ring.
///
/// This is the only `unsafe` entry point of the crate: once a region is
/// vouched for here, building rings on it is safe. It is deliberately not
/// `Clone`, so one `SharedRegion` backs exactly one ring end.
#[derive(Debug)]
pub struct SharedRegion {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a `SharedRegion` is just an address range; all accesses through it
// are atomic or volatile, and the `new` contract limits the range to one
// producer and one consumer, wherever those values move.
unsafe impl Send for SharedRegion {}

impl SharedRegion {
    /// Vouch for `len` bytes at `base` as a ring region.
    ///
    /// Fails with [`Error::Misaligned`] if `base` is not aligned to
    /// [`REGION_ALIGN`]. The size is checked when a ring is built on it.
    ///
    /// # Safety
    ///
    /// The caller must guarantee that:
    ///
    /// 1. `base..base + len` is mapped readable and writable in this address
    ///    space.
    /// 2. It stays mapped, and is not freed or reused for anything else, for
    ///    as long as the returned value, or any ring built from it, exists.
    /// 3. Meanwhile no Rust references (`&`, `&mut`) to the range exist, and
    ///    nothing in this address space accesses it except rings built from
    ///    `SharedRegion`s. (Memory behind a plain `static` does not qualify.)
    /// 4. At most one [`RingProducer`](crate::RingProducer) and one
    ///    [`RingConsumer`](crate::RingConsumer) use the range at a time,
    ///    counting both sides: normally one end here and the other in the
    ///    peer PD (both in one address space, as in tests, is also fine).
    ///
    /// The peer is *not* trusted: it may write anything at any time. That
    /// can make ring operations return errors, but never makes this side
    /// read or write outside `base..base + len`.
    pub unsafe fn new(base: NonNull<u8>, len: usize) -> Result<Self, Error> {
        let addr = base.as_ptr() as usize;
        if !addr.is_multiple_of(REGION_ALIGN) {
            return Err(Error::Misaligned {
                addr,
                required: REGION_ALIGN,
            });
        }
        Ok(Self { base, len })
    }

    /// Start of the region.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// Size of the region in bytes.
    pub fn size(&self) -> usize {
        self.len
    }
}
