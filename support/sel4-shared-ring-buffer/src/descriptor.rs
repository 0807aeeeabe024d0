//! The descriptor that travels through a ring.

use core::mem::{offset_of, size_of};
use core::ops::Range;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::Error;

/// One buffer handed from one side to the other.
///
/// `offset` and `len` locate the buffer inside a separately shared data
/// region; `flags` and `cookie` are not interpreted by the ring. The layout is
/// fixed (`repr(C)`, 24 bytes, no padding) because both PDs read it.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Descriptor {
    /// Byte offset of the buffer in the data region.
    pub offset: u64,
    /// Length of the buffer in bytes.
    pub len: u32,
    /// Free for the protocol built on top of the ring.
    pub flags: u32,
    /// Opaque to the ring; typically identifies the request.
    pub cookie: u64,
}

const _: () = {
    assert!(size_of::<Descriptor>() == 24);
    assert!(core::mem::align_of::<Descriptor>() == 8);
    assert!(offset_of!(Descriptor, offset) == 0);
    assert!(offset_of!(Descriptor, len) == 8);
    assert!(offset_of!(Descriptor, flags) == 12);
    assert!(offset_of!(Descriptor, cookie) == 16);
};

impl Descriptor {
    /// Convenience constructor.
    pub const fn new(offset: u64, len: u32, flags: u32, cookie: u64) -> Self {
        Self {
            offset,
            len,
            flags,
            cookie,
        }
    }

    /// The byte range this descriptor names, if it lies entirely within a
    /// data region of `data_len` bytes.
    ///
    /// Call this on a descriptor *after* it has been copied out of shared
    /// memory (which `dequeue` does), so the peer cannot change it between the
    /// check and the use.
    pub fn checked_range(&self, data_len: usize) -> Result<Range<usize>, Error> {
        let out_of_bounds = Error::DescriptorOutOfBounds {
            offset: self.offset,
            len: self.len,
            data_len,
        };
        let start = usize::try_from(self.offset).map_err(|_| out_of_bounds)?;
        let len = usize::try_from(self.len).map_err(|_| out_of_bounds)?;
        let end = start.checked_add(len).ok_or(out_of_bounds)?;
        if end > data_len {
            return Err(out_of_bounds);
        }
        Ok(start..end)
    }
}
