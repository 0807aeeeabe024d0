//! Tightbeam: the typed message layer between the XNU personality and exclave
//! services (named after Apple's Tightbeam IPC).
//!
//! A message is exactly [`MESSAGE_BYTES`] (512) bytes, a 16-byte header then
//! the payload. Every field is little-endian:
//!
//! | bytes    | field       | meaning |
//! |----------|-------------|---------|
//! | 0..2     | `service`   | [`ServiceId`] (0 is no service) |
//! | 2..4     | `method`    | method number within the service (0 is no method) |
//! | 4..6     | `version`   | the method's version; an error reply carries 0 |
//! | 6..8     | `flags`     | reserved, must be 0 |
//! | 8..12    | `len`       | payload length in bytes, at most [`PAYLOAD_MAX`] (496) |
//! | 12..16   | `status`    | requests: 0; replies: 0 for success, else an [`ErrorCode`] |
//! | 16..16+len | payload   | the method's request or reply, see [`hello`] and [`echo`] |
//! | 16+len..512 | padding  | must be 0 |
//!
//! Strictness: a message has exactly one encoding. Padding must be zero so
//! that what a decoder accepts re-encodes to the same 512 bytes, and so stale
//! or smuggled bytes past the stated length are refused rather than ignored.
//! [`Received::copy_from`] checks the total length; the decoder then checks,
//! in this order, flags, payload length, padding, service, method, version,
//! status, and last the payload itself, which it sees only as the `len`
//! stated bytes. Each failure is its own [`DecodeError`] variant.
//!
//! The receiver decodes only its own copy ([`Received`]): a sender sharing the
//! source memory could otherwise change a byte between its check and its use.
//!
//! Transport is the integration's choice and not this crate's: 64 message
//! words through a protected call always take the kernel's slowpath (2108
//! instructions for a 64-word round trip), so a per-client shared message
//! page plus a short fastpath call is the likely candidate.
//! Everything here works on private 512-byte buffers either way.
#![no_std]

pub mod buffers;
pub mod conclave;
mod catalog;
mod dispatch;
pub mod echo;
pub mod events;
mod error;
pub mod hello;
pub mod indicator;
pub mod keys;
pub mod storage;

use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

pub use catalog::{
    decode_reply, decode_request, encode_reply, encode_request, error_reply, MethodId, Reply, Request, ServiceId,
};
pub use dispatch::{Dispatcher, Handler, Outcome, Scratch};
pub use error::{DecodeError, EncodeError, ErrorCode};

/// Bytes in every message, request or reply.
pub const MESSAGE_BYTES: usize = 512;
/// Bytes in [`Header`].
pub const HEADER_BYTES: usize = 16;
/// The most payload a message holds.
pub const PAYLOAD_MAX: usize = MESSAGE_BYTES - HEADER_BYTES;

/// The first [`HEADER_BYTES`] of a message (table in the crate docs).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Header {
    pub service: U16,
    pub method: U16,
    pub version: U16,
    pub flags: U16,
    pub len: U32,
    pub status: U32,
}

/// A whole message as laid out on the wire.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct Wire {
    header: Header,
    payload: [u8; PAYLOAD_MAX],
}

const _: () = assert!(core::mem::size_of::<Header>() == HEADER_BYTES);
const _: () = assert!(core::mem::size_of::<Wire>() == MESSAGE_BYTES);
const _: () = assert!(core::mem::size_of::<Received>() == MESSAGE_BYTES);

impl Wire {
    fn new(header: Header) -> Self {
        Wire { header, payload: [0; PAYLOAD_MAX] }
    }
}

/// A message in the receiver's private memory, the only thing the decoder
/// takes. Its constructors copy, so once one exists no other party can change
/// the bytes the decoder checks.
#[derive(Clone)]
#[repr(C, align(8))]
pub struct Received {
    wire: Wire,
}

impl Received {
    /// Copies a message the caller already holds privately (IPC-buffer words
    /// read out, a test vector). Anything but 512 bytes is
    /// [`DecodeError::Length`].
    pub fn copy_from(src: &[u8]) -> Result<Self, DecodeError> {
        Wire::read_from_bytes(src)
            .map(|wire| Received { wire })
            .map_err(|_| DecodeError::Length { found: src.len() })
    }

    /// No message: all zeros (which decodes as no service), to be
    /// replaced by [`Received::copy_from_shared`].
    pub fn empty() -> Self {
        Received { wire: Wire::new(Header::default()) }
    }

    /// Replaces this message with one copied out of memory the sender can
    /// still write (a shared message page), with volatile reads so each byte
    /// is read exactly once. In place, so no further copy follows.
    ///
    /// # Safety
    /// 1. `src..src + MESSAGE_BYTES` is mapped and readable for the whole call.
    /// 2. Nothing in this PD holds a `&mut` to that range meanwhile.
    ///
    /// The sender changing those bytes during the copy is allowed: the result
    /// is then some mix of old and new bytes, which the decoder judges as it
    /// judges any other bytes.
    pub unsafe fn copy_from_shared(&mut self, src: *const u8) {
        let dst: &mut [u8; MESSAGE_BYTES] = zerocopy::transmute_mut!(&mut self.wire);
        // SAFETY: the caller's points 1 and 2 are volatile-copy's contract;
        // `dst` is ours (8-byte aligned, so the copy takes its fast path).
        unsafe { volatile_copy::copy_from_volatile(dst, src) };
    }

    pub fn bytes(&self) -> &[u8; MESSAGE_BYTES] {
        zerocopy::transmute_ref!(&self.wire)
    }

    /// The header as received, unchecked (for logging and error replies).
    pub fn header(&self) -> Header {
        self.wire.header
    }
}

/// A request or reply payload, decoded from and encoded to the bytes after
/// the header. Decoding goes through a `zerocopy` layout and then checks what
/// a cast cannot (enum values, ranges), so the typed value is known good.
pub trait Payload<'a>: Sized {
    /// `payload` is exactly the `len` bytes the header states.
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError>;
    /// Writes the payload, every byte of it, at the start of `out` (which
    /// holds stale bytes on entry) and returns its length; the encoder zeroes
    /// what follows.
    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError>;
}

/// Writes `wire`'s bytes at the start of `out` and returns their count.
fn put_wire<T: IntoBytes + Immutable>(wire: T, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
    let len = core::mem::size_of::<T>();
    wire.write_to_prefix(out).map_err(|_| EncodeError::TooLong { len, max: PAYLOAD_MAX })?;
    Ok(len)
}

/// Reads exactly a `T` from `payload`.
fn get_wire<T: FromBytes + KnownLayout + Immutable>(payload: &[u8]) -> Result<T, DecodeError> {
    let len = core::mem::size_of::<T>();
    T::read_from_bytes(payload).map_err(|_| payload_size(payload, len, len))
}

/// `payload.len()` as [`DecodeError::PayloadSize`] against `min..=max`.
fn payload_size(payload: &[u8], min: usize, max: usize) -> DecodeError {
    DecodeError::PayloadSize { stated: payload.len(), min, max }
}
