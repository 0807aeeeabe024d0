//! The storage keys, derived from the root key the key service gives the
//! storage exclave, and the names XNU stores objects under: a keyed hash
//! of the caller's key, so XNU learns which object is which but never a key.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tightbeam::storage::OBJECT_NAME_BYTES;

/// An object's identity inside the exclave: the first 16 bytes of the
/// keyed hash. Its 32 hex digits are the name XNU sees.
pub type ObjectTag = [u8; 16];

/// The two keys storage uses, each for one purpose.
#[derive(Clone)]
pub struct StorageKeys {
    pub seal: [u8; 32],
    names: [u8; 32],
}

impl StorageKeys {
    pub fn derive(root: &[u8; 32]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"exclaves storage v1"), root);
        let mut seal = [0u8; 32];
        let mut names = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit, so neither expand fails.
        let _ = hk.expand(b"storage: seal", &mut seal);
        let _ = hk.expand(b"storage: names", &mut names);
        StorageKeys { seal, names }
    }

    /// The tag of `key` and the name XNU stores it under.
    pub fn object(&self, key: &[u8]) -> (ObjectTag, [u8; OBJECT_NAME_BYTES]) {
        // HMAC takes a key of any length, so the error arm never runs.
        let digest = match <Hmac<Sha256> as Mac>::new_from_slice(&self.names) {
            Ok(mut mac) => {
                mac.update(key);
                mac.finalize().into_bytes()
            }
            Err(_) => Default::default(),
        };
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&digest[..16]);
        let mut name = [0u8; OBJECT_NAME_BYTES];
        for (i, b) in tag.iter().enumerate() {
            name[2 * i] = HEX[usize::from(b >> 4)];
            name[2 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        (tag, name)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_hex_distinct_and_keyed() {
        let a = StorageKeys::derive(&[1; 32]);
        let b = StorageKeys::derive(&[2; 32]);
        let (tag, name) = a.object(b"secret");
        assert!(name.iter().all(|c| HEX.contains(c)));
        assert_eq!(a.object(b"secret"), (tag, name), "deterministic");
        assert_ne!(a.object(b"secret2").0, tag);
        assert_ne!(b.object(b"secret").0, tag, "another root key, another name");
        assert!(!name.windows(6).any(|w| w == b"secret"));
        assert_ne!(a.seal, a.names);
    }
}
