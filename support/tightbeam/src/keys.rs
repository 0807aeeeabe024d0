//! The key service: a key derived for a named identity from a device
//! secret that only the service holds. The request names the identity
//! (1 to [`IDENTITY_MAX`] bytes); the reply is the 32-byte key. No method
//! returns the secret.

use crate::{payload_size, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// The longest identity.
pub const IDENTITY_MAX: usize = 64;
/// A derived key's length (HKDF-SHA256's output here).
pub const KEY_BYTES: usize = 32;

/// Request: the key for `identity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derive<'a> {
    pub identity: &'a [u8],
}

/// Reply: the derived key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedKey {
    pub key: [u8; KEY_BYTES],
}

impl<'a> Payload<'a> for Derive<'a> {
    fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        if payload.is_empty() || payload.len() > IDENTITY_MAX {
            return Err(payload_size(payload, 1, IDENTITY_MAX));
        }
        Ok(Derive { identity: payload })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let len = self.identity.len();
        if len == 0 || len > IDENTITY_MAX {
            return Err(EncodeError::TooLong { len, max: IDENTITY_MAX });
        }
        out[..len].copy_from_slice(self.identity);
        Ok(len)
    }
}

impl Payload<'_> for DerivedKey {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let key = payload.try_into().map_err(|_| payload_size(payload, KEY_BYTES, KEY_BYTES))?;
        Ok(DerivedKey { key })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        out[..KEY_BYTES].copy_from_slice(&self.key);
        Ok(KEY_BYTES)
    }
}
