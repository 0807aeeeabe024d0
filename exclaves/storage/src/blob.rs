//! A sealed blob, what XNU stores for one value: a header naming the
//! version it seals, then the value encrypted and authenticated with
//! XChaCha20-Poly1305.
//!
//! `magic (4) | version (8, LE) | ciphertext | tag (16)`
//!
//! The nonce is the object's tag (16) then the version (8): unique for
//! every blob, as long as a version is never sealed twice for one object
//! (the counters see to that), so no nonce needs storing or a random
//! source. The header and the object's tag are the associated data, so a
//! blob moved to another object, or given another version, does not open.

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{KeyInit, Tag, XChaCha20Poly1305, XNonce};

use crate::names::ObjectTag;

const MAGIC: [u8; 4] = *b"XSB1";
const HEADER_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// What a blob adds to its value.
pub const OVERHEAD: usize = HEADER_BYTES + TAG_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than any blob.
    Short,
    /// It does not authenticate: changed, or not sealed for this object.
    Forged,
}

fn nonce(object: &ObjectTag, version: u64) -> XNonce {
    let mut n = [0u8; 24];
    n[..16].copy_from_slice(object);
    n[16..].copy_from_slice(&version.to_le_bytes());
    XNonce::from(n)
}

fn associated(header: &[u8], object: &ObjectTag) -> [u8; HEADER_BYTES + 16] {
    let mut ad = [0u8; HEADER_BYTES + 16];
    ad[..HEADER_BYTES].copy_from_slice(header);
    ad[HEADER_BYTES..].copy_from_slice(object);
    ad
}

/// Seals the first `len` bytes of `buf` (the value) in place into a blob
/// of `len + OVERHEAD` bytes at the start of `buf`; `None` if `buf` has no
/// room for it.
pub fn seal(key: &[u8; 32], object: &ObjectTag, version: u64, buf: &mut [u8], len: usize) -> Option<usize> {
    let total = len.checked_add(OVERHEAD).filter(|&t| t <= buf.len())?;
    buf.copy_within(..len, HEADER_BYTES);
    buf[..4].copy_from_slice(&MAGIC);
    buf[4..HEADER_BYTES].copy_from_slice(&version.to_le_bytes());
    let (header, rest) = buf.split_at_mut(HEADER_BYTES);
    let ad = associated(header, object);
    let (body, tag_out) = rest.split_at_mut(len);
    let tag = XChaCha20Poly1305::new(key.into()).encrypt_in_place_detached(&nonce(object, version), &ad, body).ok()?;
    tag_out[..TAG_BYTES].copy_from_slice(&tag);
    Some(total)
}

/// Opens the blob `blob` in place: its version and the value (a slice of
/// `blob`). A blob that does not authenticate leaves no plaintext behind.
pub fn open<'a>(key: &[u8; 32], object: &ObjectTag, blob: &'a mut [u8]) -> Result<(u64, &'a [u8]), OpenError> {
    if blob.len() < OVERHEAD {
        return Err(OpenError::Short);
    }
    let (header, rest) = blob.split_at_mut(HEADER_BYTES);
    if header[..4] != MAGIC {
        return Err(OpenError::Forged);
    }
    let mut word = [0u8; 8];
    word.copy_from_slice(&header[4..]);
    let version = u64::from_le_bytes(word);
    let ad = associated(header, object);
    let (body, tag) = rest.split_at_mut(rest.len() - TAG_BYTES);
    let tag = Tag::clone_from_slice(tag);
    XChaCha20Poly1305::new(key.into())
        .decrypt_in_place_detached(&nonce(object, version), &ad, body, &tag)
        .map_err(|_| OpenError::Forged)?;
    Ok((version, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const OBJECT: ObjectTag = [1; 16];

    fn sealed(value: &[u8], version: u64) -> Vec<u8> {
        let mut buf = vec![0u8; value.len() + OVERHEAD];
        buf[..value.len()].copy_from_slice(value);
        assert_eq!(seal(&KEY, &OBJECT, version, &mut buf, value.len()), Some(value.len() + OVERHEAD));
        buf
    }

    #[test]
    fn a_blob_opens_to_its_value_and_version() {
        for value in [&b""[..], b"s3cret", &[0xA5; 4096]] {
            let mut blob = sealed(value, 42);
            assert_eq!(open(&KEY, &OBJECT, &mut blob), Ok((42, value)));
        }
    }

    #[test]
    fn the_blob_hides_the_value() {
        let value = [b'x'; 64];
        let blob = sealed(&value, 1);
        assert!(!blob.windows(8).any(|w| w == &value[..8]), "plaintext visible in the blob");
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let blob = sealed(b"a value worth keeping", 3);
        for at in 0..blob.len() {
            for bit in 0..8 {
                let mut changed = blob.clone();
                changed[at] ^= 1 << bit;
                assert_eq!(open(&KEY, &OBJECT, &mut changed), Err(OpenError::Forged), "byte {at} bit {bit}");
            }
        }
    }

    #[test]
    fn a_blob_opens_only_for_its_object_and_key() {
        let mut blob = sealed(b"v", 1);
        assert_eq!(open(&KEY, &[2; 16], &mut blob.clone()), Err(OpenError::Forged));
        assert_eq!(open(&[8; 32], &OBJECT, &mut blob), Err(OpenError::Forged));
    }

    #[test]
    fn short_and_truncated_blobs_are_refused() {
        let blob = sealed(b"value", 1);
        for len in 0..OVERHEAD {
            assert_eq!(open(&KEY, &OBJECT, &mut blob[..len].to_vec()), Err(OpenError::Short));
        }
        for len in OVERHEAD..blob.len() {
            assert_eq!(open(&KEY, &OBJECT, &mut blob[..len].to_vec()), Err(OpenError::Forged));
        }
    }

    #[test]
    fn no_room_is_refused() {
        let mut buf = [0u8; OVERHEAD + 3];
        assert_eq!(seal(&KEY, &OBJECT, 1, &mut buf, 4), None);
        assert_eq!(seal(&KEY, &OBJECT, 1, &mut buf, usize::MAX), None);
        assert_eq!(seal(&KEY, &OBJECT, 1, &mut buf, 3), Some(OVERHEAD + 3));
    }
}
