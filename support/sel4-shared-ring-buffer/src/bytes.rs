//! Byte rings: a stream of bytes, not descriptors, in one shared region,
//! for traffic that is a byte stream anyway (a console).
//!
//! The layout is the descriptor ring's: the 128-byte [`RingHeader`]
//! (`write_index` at 0, `read_index` at 64, free-running `u32` counts of
//! bytes), then the data, whose capacity is the largest power of two that
//! fits after the header (2048 bytes in a 4 KiB region). Byte `i` lives at
//! `HEADER_SIZE + (i & (capacity - 1))`. Ownership, ordering and the bounds
//! check on the peer's index are those of the descriptor rings (see the
//! crate docs): whatever the peer writes, no access leaves the region.
//!
//! Both ends `attach` to a zeroed region (a fresh Microkit region is), so
//! neither has to start first.

use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::region::{RingHeader, HEADER_SIZE};
use crate::{Error, IndexKind, SharedRegion, MAX_CAPACITY};

/// The largest power-of-two data capacity a byte ring in `len` bytes has.
pub const fn byte_capacity_for_len(len: usize) -> Option<u32> {
    if len <= HEADER_SIZE {
        return None;
    }
    let room = len - HEADER_SIZE;
    let pow = 1usize << (usize::BITS - 1 - room.leading_zeros());
    if pow >= MAX_CAPACITY as usize {
        Some(MAX_CAPACITY)
    } else {
        Some(pow as u32)
    }
}

#[derive(Debug)]
struct RawBytes {
    region: SharedRegion,
    /// A power of two with `HEADER_SIZE + capacity <= region.size()`.
    capacity: u32,
}

impl RawBytes {
    fn open(region: SharedRegion) -> Result<Self, Error> {
        let capacity = byte_capacity_for_len(region.size())
            .ok_or(Error::RegionTooSmall { len: region.size(), needed: HEADER_SIZE + 1 })?;
        Ok(RawBytes { region, capacity })
    }

    fn index(&self, offset: usize) -> &AtomicU32 {
        // SAFETY: the header is inside the region (`open`), 4-aligned in an
        // 8-aligned region, and only ever accessed atomically on this side
        // (the `SharedRegion` contract).
        unsafe { AtomicU32::from_ptr(self.region.base().as_ptr().add(offset).cast()) }
    }

    fn write_index(&self) -> &AtomicU32 {
        self.index(offset_of!(RingHeader, write_index))
    }

    fn read_index(&self) -> &AtomicU32 {
        self.index(offset_of!(RingHeader, read_index))
    }

    /// The data byte for free-running `index`. Masking keeps any index,
    /// however corrupt, inside the region.
    fn byte(&self, index: u32) -> *mut u8 {
        let at = HEADER_SIZE + (index & (self.capacity - 1)) as usize;
        // SAFETY: at < HEADER_SIZE + capacity <= size (`open`).
        unsafe { self.region.base().as_ptr().add(at) }
    }

    /// The peer's index, if it is within `capacity` of `mine` in the
    /// direction a correct peer can be: ahead for a writer (`ahead`), behind
    /// for a reader.
    fn peer(&self, which: IndexKind, mine: u32, ahead: bool) -> Result<u32, Error> {
        let seen = match which {
            IndexKind::Write => self.write_index().load(Ordering::Acquire),
            IndexKind::Read => self.read_index().load(Ordering::Acquire),
        };
        let distance = if ahead { seen.wrapping_sub(mine) } else { mine.wrapping_sub(seen) };
        if distance <= self.capacity {
            return Ok(seen);
        }
        let (expected_first, expected_last) =
            if ahead { (mine, mine.wrapping_add(self.capacity)) } else { (mine.wrapping_sub(self.capacity), mine) };
        Err(Error::PeerIndexCorrupt { which, seen, expected_first, expected_last })
    }
}

/// The writing end of a byte ring. Owns `write_index`.
#[derive(Debug)]
pub struct ByteProducer {
    ring: RawBytes,
    write: u32,
}

impl ByteProducer {
    /// Becomes the producer of the ring in `region` (zeroed, or left by an
    /// earlier producer: the shared write index is where it starts).
    pub fn attach(region: SharedRegion) -> Result<Self, Error> {
        let ring = RawBytes::open(region)?;
        let write = ring.write_index().load(Ordering::Relaxed);
        Ok(ByteProducer { ring, write })
    }

    /// Bytes that can be written now.
    pub fn free(&self) -> Result<u32, Error> {
        let read = self.ring.peer(IndexKind::Read, self.write, false)?;
        Ok(self.ring.capacity - self.write.wrapping_sub(read))
    }

    /// Writes as much of `bytes` as fits and publishes it; returns how much.
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, Error> {
        let n = bytes.len().min(self.free()? as usize);
        for (i, &b) in bytes[..n].iter().enumerate() {
            // SAFETY: `byte` points inside the region; volatile because the
            // peer reads it from another address space.
            unsafe { self.ring.byte(self.write.wrapping_add(i as u32)).write_volatile(b) };
        }
        self.write = self.write.wrapping_add(n as u32);
        self.ring.write_index().store(self.write, Ordering::Release);
        Ok(n)
    }
}

/// The reading end of a byte ring. Owns `read_index`.
#[derive(Debug)]
pub struct ByteConsumer {
    ring: RawBytes,
    read: u32,
}

impl ByteConsumer {
    /// Becomes the consumer of the ring in `region`.
    pub fn attach(region: SharedRegion) -> Result<Self, Error> {
        let ring = RawBytes::open(region)?;
        let read = ring.read_index().load(Ordering::Relaxed);
        Ok(ByteConsumer { ring, read })
    }

    /// Bytes waiting to be read.
    pub fn available(&self) -> Result<u32, Error> {
        let write = self.ring.peer(IndexKind::Write, self.read, true)?;
        Ok(write.wrapping_sub(self.read))
    }

    /// Copies waiting bytes into `out` (as many as fit), frees their room
    /// for the producer, and returns how many.
    pub fn read(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let n = out.len().min(self.available()? as usize);
        for (i, b) in out[..n].iter_mut().enumerate() {
            // SAFETY: `byte` points inside the region.
            *b = unsafe { self.ring.byte(self.read.wrapping_add(i as u32)).read_volatile() };
        }
        self.read = self.read.wrapping_add(n as u32);
        self.ring.read_index().store(self.read, Ordering::Release);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr::NonNull;
    use std::vec;
    use std::vec::Vec;

    /// A 4 KiB region shared by a producer and a consumer in this process.
    struct Region(Vec<u64>);

    impl Region {
        fn new() -> Self {
            Region(vec![0; 512])
        }
        fn base(&mut self) -> NonNull<u8> {
            NonNull::new(self.0.as_mut_ptr().cast()).unwrap()
        }
        fn ends(&mut self) -> (ByteProducer, ByteConsumer) {
            // SAFETY: the vector outlives both ends, which only use it atomically or volatilely.
            let (a, b) = unsafe { (SharedRegion::new(self.base(), 4096).unwrap(), SharedRegion::new(self.base(), 4096).unwrap()) };
            (ByteProducer::attach(a).unwrap(), ByteConsumer::attach(b).unwrap())
        }
        fn set_u32(&mut self, offset: usize, value: u32) {
            // SAFETY: inside the vector; stands in for the peer's store.
            unsafe { self.base().as_ptr().add(offset).cast::<u32>().write_volatile(value) }
        }
    }

    #[test]
    fn capacity_is_the_power_of_two_after_the_header() {
        assert_eq!(byte_capacity_for_len(4096), Some(2048));
        assert_eq!(byte_capacity_for_len(HEADER_SIZE + 1), Some(1));
        assert_eq!(byte_capacity_for_len(HEADER_SIZE), None);
        assert_eq!(byte_capacity_for_len(0x2000 + HEADER_SIZE), Some(0x2000));
    }

    #[test]
    fn bytes_go_through_in_order_and_wrap() {
        let mut region = Region::new();
        let (mut tx, mut rx) = region.ends();
        let mut out = [0u8; 700];
        for round in 0..10u8 {
            let data: Vec<u8> = (0..700).map(|i| (i as u8).wrapping_add(round)).collect();
            assert_eq!(tx.write(&data), Ok(700));
            assert_eq!(rx.read(&mut out), Ok(700));
            assert_eq!(&out[..], &data[..]);
        }
        assert_eq!(rx.read(&mut out), Ok(0));
    }

    #[test]
    fn a_full_ring_takes_what_fits() {
        let mut region = Region::new();
        let (mut tx, mut rx) = region.ends();
        assert_eq!(tx.write(&[1; 2000]), Ok(2000));
        assert_eq!(tx.write(&[2; 100]), Ok(48));
        assert_eq!(tx.write(&[3]), Ok(0));
        let mut out = [0u8; 4096];
        assert_eq!(rx.read(&mut out), Ok(2048));
        assert_eq!((out[1999], out[2000], out[2047]), (1, 2, 2));
    }

    #[test]
    fn a_corrupt_write_index_is_refused_and_nothing_is_read() {
        let mut region = Region::new();
        let (_tx, mut rx) = region.ends();
        region.set_u32(0, 2049);
        let mut out = [0xeeu8; 8];
        assert_eq!(
            rx.read(&mut out),
            Err(Error::PeerIndexCorrupt { which: IndexKind::Write, seen: 2049, expected_first: 0, expected_last: 2048 })
        );
        assert_eq!(out, [0xee; 8]);
        // Behind the reader is just as impossible.
        region.set_u32(0, u32::MAX);
        assert!(matches!(rx.available(), Err(Error::PeerIndexCorrupt { seen: u32::MAX, .. })));
    }

    #[test]
    fn a_corrupt_read_index_is_refused_and_nothing_is_written() {
        let mut region = Region::new();
        let (mut tx, _rx) = region.ends();
        region.set_u32(64, 5);
        assert!(matches!(tx.write(b"x"), Err(Error::PeerIndexCorrupt { which: IndexKind::Read, seen: 5, .. })));
        region.set_u32(64, 0);
        assert_eq!(tx.write(b"x"), Ok(1));
    }

    #[test]
    fn indices_wrap_around_u32() {
        let mut region = Region::new();
        region.set_u32(0, u32::MAX - 3);
        region.set_u32(64, u32::MAX - 3);
        let (mut tx, mut rx) = region.ends();
        assert_eq!(tx.write(b"abcdefgh"), Ok(8));
        let mut out = [0u8; 8];
        assert_eq!(rx.read(&mut out), Ok(8));
        assert_eq!(&out, b"abcdefgh");
    }
}
