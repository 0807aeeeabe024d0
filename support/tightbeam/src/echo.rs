//! The echo service: `echo` returns its bytes unchanged; `transform` returns
//! them with a [`TransformKind`] applied to a leading part, the example of a
//! request with an enum and a ranged field.

use zerocopy::byteorder::little_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{payload_size, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// `echo`'s request and reply, and `transform`'s reply: the payload is the
/// bytes themselves, 0 to [`PAYLOAD_MAX`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo<'a> {
    pub bytes: &'a [u8],
}

/// What `transform` does to the first `count` bytes. 0 is no kind, so an
/// all-zero request is refused rather than read as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum TransformKind {
    /// ASCII lower case to upper case; other bytes unchanged.
    Upper = 1,
    /// ASCII upper case to lower case; other bytes unchanged.
    Lower = 2,
    /// Those bytes in reverse order.
    Reverse = 3,
}

impl TryFrom<u16> for TransformKind {
    type Error = DecodeError;

    fn try_from(value: u16) -> Result<Self, DecodeError> {
        match value {
            1 => Ok(TransformKind::Upper),
            2 => Ok(TransformKind::Lower),
            3 => Ok(TransformKind::Reverse),
            _ => Err(DecodeError::BadEnum { field: "transform kind", value: value.into() }),
        }
    }
}

/// `transform`'s request: `kind` (u16, message bytes 16..18), `count` (u16,
/// bytes 18..20, at most `bytes.len()`), then `bytes` (up to
/// [`TRANSFORM_BYTES_MAX`]) to the end of the stated payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform<'a> {
    pub kind: TransformKind,
    pub count: u16,
    pub bytes: &'a [u8],
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct TransformHead {
    kind: U16,
    count: U16,
}

const HEAD_BYTES: usize = core::mem::size_of::<TransformHead>();
/// The most bytes one `transform` carries.
pub const TRANSFORM_BYTES_MAX: usize = PAYLOAD_MAX - HEAD_BYTES;

impl<'a> Payload<'a> for Echo<'a> {
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(Echo { bytes: payload })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let len = self.bytes.len();
        let dst = out.get_mut(..len).ok_or(EncodeError::TooLong { len, max: PAYLOAD_MAX })?;
        // The block copy moves an aligned payload about twice as fast as
        // `copy_from_slice`'s memcpy (the echo benchmark's largest part).
        // SAFETY: `dst` and `self.bytes` are `len` bytes each and distinct (one is borrowed mutably).
        unsafe { volatile_copy::copy_volatile(dst.as_mut_ptr(), self.bytes.as_ptr(), len) };
        Ok(len)
    }
}

impl<'a> Transform<'a> {
    fn check_count(count: u16, bytes: &[u8]) -> Result<(), DecodeError> {
        // `bytes` is at most PAYLOAD_MAX long, so the cast is exact.
        let max = bytes.len() as u32;
        if u32::from(count) > max {
            return Err(DecodeError::OutOfRange { field: "transform count", value: count.into(), max });
        }
        Ok(())
    }
}

impl<'a> Payload<'a> for Transform<'a> {
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let (head, bytes) =
            TransformHead::ref_from_prefix(payload).map_err(|_| payload_size(payload, HEAD_BYTES, PAYLOAD_MAX))?;
        let kind = TransformKind::try_from(head.kind.get())?;
        let count = head.count.get();
        Transform::check_count(count, bytes)?;
        Ok(Transform { kind, count, bytes })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let len = self.bytes.len();
        let too_long = EncodeError::TooLong { len: HEAD_BYTES + len, max: PAYLOAD_MAX };
        if len > TRANSFORM_BYTES_MAX {
            return Err(too_long);
        }
        Transform::check_count(self.count, self.bytes).map_err(EncodeError::Invalid)?;
        let (head, rest) = out.split_first_chunk_mut::<HEAD_BYTES>().ok_or(too_long)?;
        *head = zerocopy::transmute!(TransformHead { kind: U16::new(self.kind as u16), count: U16::new(self.count) });
        rest.get_mut(..len).ok_or(too_long)?.copy_from_slice(self.bytes);
        Ok(HEAD_BYTES + len)
    }
}
