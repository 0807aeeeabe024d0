//! Errors. Every way the peer can misbehave is reported here rather than
//! through a panic, so a hostile peer cannot take this side down.

use core::fmt;

/// Which shared index an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    /// The producer's `write_index`.
    Write,
    /// The consumer's `read_index`.
    Read,
}

impl fmt::Display for IndexKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IndexKind::Write => "write index",
            IndexKind::Read => "read index",
        })
    }
}

/// Everything that can go wrong with a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The ring has no free slot; try again after the consumer catches up.
    Full,
    /// The peer's index is outside the window a correct peer could have
    /// produced. `expected_first..=expected_last` is that window; it is taken
    /// modulo 2^32, so `expected_first` may be numerically above
    /// `expected_last`.
    PeerIndexCorrupt {
        which: IndexKind,
        seen: u32,
        expected_first: u32,
        expected_last: u32,
    },
    /// A descriptor does not lie inside the data region (or `offset + len`
    /// overflows).
    DescriptorOutOfBounds {
        offset: u64,
        len: u32,
        data_len: usize,
    },
    /// The region cannot hold the ring header plus at least one slot (or the
    /// requested capacity).
    RegionTooSmall { len: usize, needed: usize },
    /// The region does not start on the required alignment.
    Misaligned { addr: usize, required: usize },
    /// A requested capacity is zero, not a power of two, or above
    /// [`MAX_CAPACITY`](crate::MAX_CAPACITY).
    BadCapacity { capacity: u32 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Full => f.write_str("ring is full"),
            Error::PeerIndexCorrupt {
                which,
                seen,
                expected_first,
                expected_last,
            } => write!(
                f,
                "peer's {which} is {seen}, expected {expected_first}..={expected_last} (mod 2^32)"
            ),
            Error::DescriptorOutOfBounds {
                offset,
                len,
                data_len,
            } => write!(
                f,
                "descriptor offset {offset:#x} len {len:#x} is outside the data region of {data_len:#x} bytes"
            ),
            Error::RegionTooSmall { len, needed } => write!(
                f,
                "ring region of {len:#x} bytes is too small, need at least {needed:#x}"
            ),
            Error::Misaligned { addr, required } => write!(
                f,
                "ring region at {addr:#x} is not aligned to {required} bytes"
            ),
            Error::BadCapacity { capacity } => write!(
                f,
                "ring capacity {capacity} is not a non-zero power of two no larger than {}",
                crate::MAX_CAPACITY
            ),
        }
    }
}

impl core::error::Error for Error {}
