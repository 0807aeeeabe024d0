//! The rollback counters, kept in secure non-volatile memory that only the
//! storage exclave reaches (on QEMU a simulated one: see `SecureNv`).
//!
//! For each object: `committed`, the version a get must find (0: no
//! value), and `reserved`, the highest version ever sealed, so that no
//! version (and so no nonce) is sealed twice, even when XNU fails a write.
//!
//! The table is written whole (as many entries as it has), alternately into
//! two flash sectors, each copy with a generation and a SHA-256 over it: a
//! write cut short leaves the other copy, the newest whole one, to read at
//! boot.

use sha2::{Digest, Sha256};

use crate::names::ObjectTag;

/// Secure non-volatile memory: two erase sectors of flash.
pub trait SecureNv {
    /// An erase sector's size; the table's copies sit at 0 and `SECTOR`.
    const SECTOR: usize;
    fn read(&self, offset: usize, out: &mut [u8]);
    /// Sets the sector at `offset` to all ones.
    fn erase(&mut self, offset: usize) -> Result<(), NvError>;
    /// Programs `bytes` (whole 4-byte words) at `offset` of erased memory.
    fn program(&mut self, offset: usize, bytes: &[u8]) -> Result<(), NvError>;
}

/// The memory reported a failed erase or program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvError;

/// Objects the table holds; an object's entry stays after it is removed
/// (its `reserved` must outlive it).
pub const MAX_OBJECTS: usize = 96;

const MAGIC: [u8; 4] = *b"XNV1";
const ENTRY_BYTES: usize = 32;
/// magic, count (u32), generation (u64), then the SHA-256 of the rest.
const HEADER_BYTES: usize = 48;
const TABLE_BYTES: usize = HEADER_BYTES + MAX_OBJECTS * ENTRY_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    pub object: ObjectTag,
    pub committed: u64,
    pub reserved: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterError {
    /// No room for another object.
    Full,
    /// Every version of this object was used (2^64 writes).
    Exhausted,
    Nv(NvError),
}

pub struct Counters<N: SecureNv> {
    nv: N,
    entries: [Entry; MAX_OBJECTS],
    len: usize,
    generation: u64,
}

impl<N: SecureNv> Counters<N> {
    /// The newest whole copy of the table in `nv`, or an empty table.
    pub fn load(nv: N) -> Self {
        let mut best: Option<(u64, [Entry; MAX_OBJECTS], usize)> = None;
        for sector in 0..2 {
            let mut bytes = [0u8; TABLE_BYTES];
            nv.read(sector * N::SECTOR, &mut bytes);
            if let Some((generation, entries, len)) = decode(&bytes) {
                if best.as_ref().is_none_or(|b| generation > b.0) {
                    best = Some((generation, entries, len));
                }
            }
        }
        let (generation, entries, len) = best.unwrap_or((0, [Entry::default(); MAX_OBJECTS], 0));
        Counters { nv, entries, len, generation }
    }

    #[cfg(test)]
    pub(crate) fn nv(&self) -> &N {
        &self.nv
    }

    pub fn get(&self, object: &ObjectTag) -> Option<Entry> {
        self.entries[..self.len].iter().find(|e| &e.object == object).copied()
    }

    /// Reserves the next version of `object` and persists it: the version
    /// to seal.
    pub fn reserve(&mut self, object: &ObjectTag) -> Result<u64, CounterError> {
        let mut entry = self.get(object).unwrap_or(Entry { object: *object, committed: 0, reserved: 0 });
        entry.reserved = entry.reserved.checked_add(1).ok_or(CounterError::Exhausted)?;
        self.store(entry)?;
        Ok(entry.reserved)
    }

    /// Makes `version` (0: none) the one a get must find, persisted.
    pub fn commit(&mut self, object: &ObjectTag, version: u64) -> Result<(), CounterError> {
        let mut entry = self.get(object).unwrap_or(Entry { object: *object, committed: 0, reserved: 0 });
        entry.committed = version;
        entry.reserved = entry.reserved.max(version);
        self.store(entry)
    }

    /// Puts `entry` in the table and writes the table to the sector the
    /// current copy is not in. The table in memory changes only once the
    /// write succeeded.
    fn store(&mut self, entry: Entry) -> Result<(), CounterError> {
        let mut entries = self.entries;
        let mut len = self.len;
        match entries[..len].iter().position(|e| e.object == entry.object) {
            Some(at) => entries[at] = entry,
            None if len < MAX_OBJECTS => {
                entries[len] = entry;
                len += 1;
            }
            None => return Err(CounterError::Full),
        }
        let generation = self.generation + 1;
        let bytes = encode(generation, &entries[..len]);
        let offset = (generation % 2) as usize * N::SECTOR;
        self.nv.erase(offset).map_err(CounterError::Nv)?;
        self.nv.program(offset, &bytes[..used(len)]).map_err(CounterError::Nv)?;
        (self.entries, self.len, self.generation) = (entries, len, generation);
        Ok(())
    }
}

/// The bytes a table of `len` entries takes.
fn used(len: usize) -> usize {
    HEADER_BYTES + len * ENTRY_BYTES
}

/// Over the header's fields and the entries of a table of `len` entries.
fn checksum(bytes: &[u8], len: usize) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&bytes[..16]);
    h.update(&bytes[HEADER_BYTES..used(len)]);
    h.finalize().into()
}

fn encode(generation: u64, entries: &[Entry]) -> [u8; TABLE_BYTES] {
    let mut bytes = [0u8; TABLE_BYTES];
    bytes[..4].copy_from_slice(&MAGIC);
    bytes[4..8].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    bytes[8..16].copy_from_slice(&generation.to_le_bytes());
    for (e, out) in entries.iter().zip(bytes[HEADER_BYTES..].chunks_exact_mut(ENTRY_BYTES)) {
        out[..16].copy_from_slice(&e.object);
        out[16..24].copy_from_slice(&e.committed.to_le_bytes());
        out[24..].copy_from_slice(&e.reserved.to_le_bytes());
    }
    let sum = checksum(&bytes, entries.len());
    bytes[16..HEADER_BYTES].copy_from_slice(&sum);
    bytes
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

fn decode(bytes: &[u8; TABLE_BYTES]) -> Option<(u64, [Entry; MAX_OBJECTS], usize)> {
    let len = usize::try_from(word(&bytes[4..8])).ok().filter(|&l| l <= MAX_OBJECTS)?;
    if bytes[..4] != MAGIC || bytes[16..HEADER_BYTES] != checksum(bytes, len) {
        return None;
    }
    let mut entries = [Entry::default(); MAX_OBJECTS];
    for (e, raw) in entries.iter_mut().zip(bytes[HEADER_BYTES..].chunks_exact(ENTRY_BYTES)).take(len) {
        e.object.copy_from_slice(&raw[..16]);
        e.committed = word(&raw[16..24]);
        e.reserved = word(&raw[24..]);
    }
    Some((word(&bytes[8..16]), entries, len))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Flash in memory, with its rules: erase sets ones, program only
    /// clears bits, and a program can be made to stop part way.
    #[derive(Clone)]
    pub struct FakeFlash {
        pub bytes: Vec<u8>,
        pub cut_after: Option<usize>,
    }

    impl FakeFlash {
        pub fn new() -> Self {
            FakeFlash { bytes: vec![0; 2 * 4096], cut_after: None }
        }
    }

    impl SecureNv for FakeFlash {
        const SECTOR: usize = 4096;
        fn read(&self, offset: usize, out: &mut [u8]) {
            out.copy_from_slice(&self.bytes[offset..offset + out.len()]);
        }
        fn erase(&mut self, offset: usize) -> Result<(), NvError> {
            self.bytes[offset..offset + Self::SECTOR].fill(0xff);
            Ok(())
        }
        fn program(&mut self, offset: usize, bytes: &[u8]) -> Result<(), NvError> {
            assert!(offset % 4 == 0 && bytes.len() % 4 == 0);
            for (i, b) in bytes.iter().enumerate() {
                if self.cut_after == Some(i) {
                    return Err(NvError);
                }
                self.bytes[offset + i] &= b;
            }
            Ok(())
        }
    }

    #[test]
    fn counters_survive_a_reload() {
        let mut c = Counters::load(FakeFlash::new());
        assert_eq!(c.get(&[1; 16]), None);
        assert_eq!(c.reserve(&[1; 16]), Ok(1));
        assert_eq!(c.reserve(&[1; 16]), Ok(2));
        assert_eq!(c.commit(&[1; 16], 2), Ok(()));
        assert_eq!(c.reserve(&[2; 16]), Ok(1));
        let c = Counters::load(c.nv.clone());
        assert_eq!(c.get(&[1; 16]), Some(Entry { object: [1; 16], committed: 2, reserved: 2 }));
        assert_eq!(c.get(&[2; 16]), Some(Entry { object: [2; 16], committed: 0, reserved: 1 }));
    }

    #[test]
    fn a_cut_write_leaves_the_last_whole_table() {
        let mut c = Counters::load(FakeFlash::new());
        c.commit(&[1; 16], 5).unwrap();
        c.nv.cut_after = Some(60);
        assert_eq!(c.commit(&[1; 16], 6), Err(CounterError::Nv(NvError)));
        assert_eq!(c.get(&[1; 16]).map(|e| e.committed), Some(5), "memory unchanged");
        let mut nv = c.nv.clone();
        nv.cut_after = None;
        let c = Counters::load(nv);
        assert_eq!(c.get(&[1; 16]).map(|e| e.committed), Some(5));
    }

    #[test]
    fn a_changed_copy_is_not_read() {
        let mut c = Counters::load(FakeFlash::new());
        c.commit(&[1; 16], 5).unwrap();
        c.commit(&[1; 16], 6).unwrap();
        let mut nv = c.nv.clone();
        // Generation 2 is in sector 0: damage it, and generation 1 is read.
        nv.bytes[HEADER_BYTES + 16] ^= 1;
        assert_eq!(Counters::load(nv).get(&[1; 16]).map(|e| e.committed), Some(5));
    }

    #[test]
    fn the_table_fills_up() {
        let mut c = Counters::load(FakeFlash::new());
        for i in 0..MAX_OBJECTS {
            let mut tag = [0u8; 16];
            tag[..8].copy_from_slice(&(i as u64).to_le_bytes());
            assert_eq!(c.reserve(&tag), Ok(1));
        }
        assert_eq!(c.reserve(&[0xff; 16]), Err(CounterError::Full));
        assert_eq!(Counters::load(c.nv.clone()).len, MAX_OBJECTS);
    }

    #[test]
    fn committing_never_lowers_reserved() {
        let mut c = Counters::load(FakeFlash::new());
        c.reserve(&[1; 16]).unwrap();
        c.reserve(&[1; 16]).unwrap();
        c.commit(&[1; 16], 0).unwrap();
        assert_eq!(c.reserve(&[1; 16]), Ok(3));
    }
}
