//! Secure storage, and the upcalls it makes to XNU for the bytes.
//!
//! - **The storage service** (XNU's tasks call it): put, get and remove a
//!   value by key. The message carries the key and a put's length; the
//!   value itself is the caller's data, which XNU moves when the service
//!   asks (the caller-in and caller-out upcalls) between the calling task's
//!   buffer and the service's buffers `storage_in` and `storage_out`.
//! - **XNU's upcalls** (the storage exclave asks, XNU serves): those two,
//!   and open, read, write, size and remove of named objects, which XNU
//!   keeps on its disk. A blob crosses in the upcall buffers: `upcall_out`
//!   (the exclave's sealed blob for a write) and `upcall_in` (what XNU
//!   read). Nothing XNU answers is trusted: the exclave checks every length
//!   and count.

use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{get_wire, payload_size, put_wire, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// The longest key.
pub const KEY_MAX: usize = 64;
/// An object's name on XNU's side: 32 lowercase hex digits (a keyed hash of
/// the key, so XNU never sees keys).
pub const OBJECT_NAME_BYTES: usize = 32;

/// Open flags: make the object if it does not exist; empty it.
pub const OPEN_CREATE: u32 = 1;
pub const OPEN_TRUNCATE: u32 = 2;

/// The storage service's refusals.
pub mod refusal {
    use crate::ErrorCode;
    /// No value under that key.
    pub const NOT_FOUND: ErrorCode = ErrorCode::service(1);
    /// The stored blob does not open: XNU's copy was changed.
    pub const TAMPERED: ErrorCode = ErrorCode::service(2);
    /// The stored blob is valid but older than the last write: a replay.
    pub const ROLLED_BACK: ErrorCode = ErrorCode::service(3);
    /// A value longer than the buffers carry.
    pub const TOO_LARGE: ErrorCode = ErrorCode::service(4);
    /// XNU failed an upcall, or answered one out of protocol.
    pub const XNU_FAILED: ErrorCode = ErrorCode::service(5);
    /// The caller's buffer is shorter than the value.
    pub const SHORT_BUFFER: ErrorCode = ErrorCode::service(8);
    /// The storage key is not available (the key service did not answer).
    pub const NO_KEY: ErrorCode = ErrorCode::service(6);
    /// The secure counters are full, or their memory failed.
    pub const COUNTERS: ErrorCode = ErrorCode::service(7);
}

/// XNU's refusals of an upcall.
pub mod upcall_refusal {
    use crate::ErrorCode;
    pub const NOT_FOUND: ErrorCode = ErrorCode::service(1);
    pub const NO_SPACE: ErrorCode = ErrorCode::service(2);
    pub const IO: ErrorCode = ErrorCode::service(3);
    /// The caller's buffer is shorter than the data.
    pub const CALLER_BUFFER: ErrorCode = ErrorCode::service(4);
}

/// Request: store the caller's `len` bytes under `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put<'a> {
    pub len: u32,
    pub key: &'a [u8],
}

/// Request: the value under `key` (get), or its end (remove).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    pub key: &'a [u8],
}

/// Reply to a put or remove: the key's version now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub version: u64,
}

/// Reply to a get: the value's length (XNU gave the caller its bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub len: u32,
    pub version: u64,
}

/// Upcall request: open (with [`OPEN_CREATE`], [`OPEN_TRUNCATE`]) or
/// remove (flags 0) the object `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectName {
    pub flags: u32,
    pub name: [u8; OBJECT_NAME_BYTES],
}

/// Upcall request: read or write `len` bytes at `offset` of `object`,
/// through the upcall buffers' first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectIo {
    pub object: u32,
    pub offset: u32,
    pub len: u32,
}

/// Upcall request: the size of `object`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object {
    pub object: u32,
}

/// Upcall reply: an open object, a count of bytes moved, or a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub object: u32,
}

/// Upcall reply: bytes moved. Also the request of the caller-in and
/// caller-out upcalls: `len` bytes of the caller's data into `storage_in`,
/// or out of `storage_out` to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSize {
    pub size: u64,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct U32Wire(U32);

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct U64Wire(U64);

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct ValueWire {
    len: U32,
    version: U64,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct ObjectNameWire {
    flags: U32,
    name: [u8; OBJECT_NAME_BYTES],
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct ObjectIoWire {
    object: U32,
    offset: U32,
    len: U32,
}

/// A key the decoder accepts: 1 to [`KEY_MAX`] bytes.
fn key(bytes: &[u8]) -> Result<&[u8], DecodeError> {
    if bytes.is_empty() || bytes.len() > KEY_MAX {
        return Err(payload_size(bytes, 1, KEY_MAX));
    }
    Ok(bytes)
}

fn put_key(k: &[u8], at: usize, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
    key(k).map_err(EncodeError::Invalid)?;
    out[at..at + k.len()].copy_from_slice(k);
    Ok(at + k.len())
}

/// An object name the decoder accepts: lowercase hex digits only, so XNU
/// can use it as a file name as it is.
fn object_name(name: [u8; OBJECT_NAME_BYTES]) -> Result<[u8; OBJECT_NAME_BYTES], DecodeError> {
    match name.iter().position(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        None => Ok(name),
        Some(at) => Err(DecodeError::BadEnum { field: "object name", value: u32::from(name[at]) }),
    }
}

impl<'a> Payload<'a> for Put<'a> {
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let (len, rest) = payload.split_at_checked(4).ok_or(payload_size(payload, 5, 4 + KEY_MAX))?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        let key = key(rest).map_err(|_| payload_size(payload, 5, 4 + KEY_MAX))?;
        Ok(Put { len, key })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        out[..4].copy_from_slice(&self.len.to_le_bytes());
        put_key(self.key, 4, out)
    }
}

impl<'a> Payload<'a> for Key<'a> {
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(Key { key: key(payload)? })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_key(self.key, 0, out)
    }
}

impl Payload<'_> for Value {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<ValueWire>(payload)?;
        Ok(Value { len: w.len.get(), version: w.version.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(ValueWire { len: U32::new(self.len), version: U64::new(self.version) }, out)
    }
}

impl Payload<'_> for ObjectName {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<ObjectNameWire>(payload)?;
        let flags = w.flags.get();
        if flags & !(OPEN_CREATE | OPEN_TRUNCATE) != 0 {
            return Err(DecodeError::BadEnum { field: "open flags", value: flags.into() });
        }
        Ok(ObjectName { flags, name: object_name(w.name)? })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        object_name(self.name).map_err(EncodeError::Invalid)?;
        put_wire(ObjectNameWire { flags: U32::new(self.flags), name: self.name }, out)
    }
}

impl Payload<'_> for ObjectIo {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<ObjectIoWire>(payload)?;
        Ok(ObjectIo { object: w.object.get(), offset: w.offset.get(), len: w.len.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(ObjectIoWire { object: U32::new(self.object), offset: U32::new(self.offset), len: U32::new(self.len) }, out)
    }
}

/// The payloads that are one little-endian word.
macro_rules! word_payload {
    ($type:ident, $field:ident, $wire:ident, $le:ident) => {
        impl Payload<'_> for $type {
            fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
                Ok($type { $field: get_wire::<$wire>(payload)?.0.get() })
            }

            fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
                put_wire($wire($le::new(self.$field)), out)
            }
        }
    };
}

word_payload!(Object, object, U32Wire, U32);
word_payload!(Opened, object, U32Wire, U32);
word_payload!(Count, len, U32Wire, U32);
word_payload!(ObjectSize, size, U64Wire, U64);
word_payload!(Stored, version, U64Wire, U64);
