//! The buffers service: the exclave that owns the default system's two
//! named buffers shows that data really crosses them. `refill` has it write
//! the outbound buffer with a new generation of [`pattern`], which XNU can
//! only read; `digest` has it hash what XNU wrote into the inbound buffer.

use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{get_wire, put_wire, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// The byte at `offset` of the outbound buffer in `generation`: every
/// generation differs at every offset from the one before.
pub fn pattern(generation: u64, offset: usize) -> u8 {
    let o = offset as u64;
    (o.wrapping_mul(31) ^ (o >> 8)).wrapping_add(generation) as u8
}

/// FNV-1a, 64 bits: the digest `digest` answers.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(FNV_OFFSET, bytes)
}

/// FNV-1a of what `hash` hashed, then `bytes` (a digest taken in pieces).
pub fn fnv1a_more(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Request: write the next generation over the whole outbound buffer. No payload.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Refill;

/// Reply to [`Refill`]: the generation now in the buffer, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filled {
    pub generation: u64,
    pub len: u32,
}

/// Request: the digest of the inbound buffer's first `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub len: u32,
}

/// Reply to [`Digest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestReply {
    pub digest: u64,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct FilledWire {
    generation: U64,
    len: U32,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct DigestWire {
    len: U32,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct DigestReplyWire {
    digest: U64,
}

impl Payload<'_> for Refill {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        get_wire::<Refill>(payload)
    }

    fn encode(&self, _out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        Ok(0)
    }
}

impl Payload<'_> for Filled {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<FilledWire>(payload)?;
        Ok(Filled { generation: w.generation.get(), len: w.len.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(FilledWire { generation: U64::new(self.generation), len: U32::new(self.len) }, out)
    }
}

impl Payload<'_> for Digest {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(Digest { len: get_wire::<DigestWire>(payload)?.len.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(DigestWire { len: U32::new(self.len) }, out)
    }
}

impl Payload<'_> for DigestReply {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(DigestReply { digest: get_wire::<DigestReplyWire>(payload)?.digest.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(DigestReplyWire { digest: U64::new(self.digest) }, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generation_differs_from_the_last_at_every_offset() {
        for generation in 0..64u64 {
            for offset in (0..0x4000).step_by(7) {
                assert_ne!(pattern(generation, offset), pattern(generation + 1, offset), "gen {generation} offset {offset}");
            }
        }
    }

    #[test]
    fn fnv1a_is_the_known_function() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_more(fnv1a(b"ab"), b"cd"), fnv1a(b"abcd"));
    }
}
