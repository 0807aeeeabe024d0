//! The boot probe: XNU calls `hello` with an empty request and the service
//! answers a fixed value, so XNU knows the service is up and speaks this
//! protocol before it calls anything else.

use zerocopy::byteorder::little_endian::{U16, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{payload_size, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// What every hello reply carries: "tightbea" read as a little-endian u64.
pub const HELLO_VALUE: u64 = u64::from_le_bytes(*b"tightbea");
/// The message protocol this crate speaks; a probe refuses any other.
pub const PROTOCOL_VERSION: u16 = 1;

/// The request: no payload (`len` 0).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Hello;

/// The reply, 10 payload bytes: `value` (u64, bytes 16..24 of the message),
/// then `protocol` (u16, bytes 24..26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloReply {
    pub value: u64,
    pub protocol: u16,
}

impl HelloReply {
    /// The only reply a service of this protocol sends.
    pub const EXPECTED: HelloReply = HelloReply { value: HELLO_VALUE, protocol: PROTOCOL_VERSION };
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct HelloReplyWire {
    value: U64,
    protocol: U16,
}

const REPLY_BYTES: usize = core::mem::size_of::<HelloReplyWire>();

impl Payload<'_> for Hello {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Hello::read_from_bytes(payload).map_err(|_| payload_size(payload, 0, 0))
    }

    fn encode(&self, _out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        Ok(0)
    }
}

impl Payload<'_> for HelloReply {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let wire = HelloReplyWire::read_from_bytes(payload).map_err(|_| payload_size(payload, REPLY_BYTES, REPLY_BYTES))?;
        Ok(HelloReply { value: wire.value.get(), protocol: wire.protocol.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let wire = HelloReplyWire { value: U64::new(self.value), protocol: U16::new(self.protocol) };
        wire.write_to_prefix(out).map_err(|_| EncodeError::TooLong { len: REPLY_BYTES, max: PAYLOAD_MAX })?;
        Ok(REPLY_BYTES)
    }
}
