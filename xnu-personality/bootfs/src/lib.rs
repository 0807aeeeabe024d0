//! The boot filesystem: the user programs XNU can `posix_spawn`, packed by
//! the build into one read-only archive that XNU maps. Flat, with no
//! directories: a path is a name, looked up whole.
//!
//! Layout (little-endian): a 16-byte header (`MAGIC`, `VERSION` u32, entry
//! count u32), then `count` entries of `ENTRY_BYTES` (name NUL-padded to
//! `NAME_BYTES`, data offset u64 from the archive's start, length u64), then
//! the files' bytes, each starting 16-byte aligned.
//!
//! XNU built the archive into its own image, but it still reads it as
//! untrusted: every offset and length is checked here, once.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod program;

use core::fmt;

pub const MAGIC: [u8; 8] = *b"XNUBOOTF";
pub const VERSION: u32 = 1;
pub const HEADER_BYTES: usize = 16;
pub const NAME_BYTES: usize = 48;
pub const ENTRY_BYTES: usize = NAME_BYTES + 16;
/// Where each file's bytes start, relative to the archive.
pub const FILE_ALIGN: usize = 16;
/// More entries than a boot filesystem needs: a bound on parsing work.
pub const MAX_ENTRIES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    TooShort { needed: usize, have: usize },
    BadMagic,
    BadVersion(u32),
    TooManyEntries(u32),
    /// Entry `index`'s name is empty, not UTF-8, or fills its field.
    BadName { index: usize },
    /// Entry `index`'s data is not inside the archive.
    BadExtent { index: usize, offset: u64, len: u64 },
    DuplicateName { index: usize },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::TooShort { needed, have } => write!(f, "bootfs: {have} bytes, the header and table need {needed}"),
            Error::BadMagic => write!(f, "bootfs: bad magic (not a boot filesystem)"),
            Error::BadVersion(v) => write!(f, "bootfs: version {v}, this reader knows {VERSION}"),
            Error::TooManyEntries(n) => write!(f, "bootfs: {n} entries, at most {MAX_ENTRIES}"),
            Error::BadName { index } => write!(f, "bootfs: entry {index}: name empty, not UTF-8, or not NUL-terminated"),
            Error::BadExtent { index, offset, len } => {
                write!(f, "bootfs: entry {index}: {len} bytes at {offset:#x} lie outside the archive")
            }
            Error::DuplicateName { index } => write!(f, "bootfs: entry {index}: a name given twice"),
        }
    }
}

/// A checked archive: every entry's name and extent were validated.
#[derive(Clone, Copy)]
pub struct BootFs<'a> {
    bytes: &'a [u8],
    count: usize,
}

/// One file of the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct File<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

impl<'a> BootFs<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER_BYTES {
            return Err(Error::TooShort { needed: HEADER_BYTES, have: bytes.len() });
        }
        if bytes[..8] != MAGIC {
            return Err(Error::BadMagic);
        }
        let version = u32_at(bytes, 8);
        if version != VERSION {
            return Err(Error::BadVersion(version));
        }
        let count = u32_at(bytes, 12);
        if count as usize > MAX_ENTRIES {
            return Err(Error::TooManyEntries(count));
        }
        let count = count as usize;
        let needed = HEADER_BYTES + count * ENTRY_BYTES;
        if bytes.len() < needed {
            return Err(Error::TooShort { needed, have: bytes.len() });
        }
        let fs = BootFs { bytes, count };
        for index in 0..count {
            let file = fs.entry(index)?;
            if (0..index).any(|j| fs.entry(j).map(|f| f.name) == Ok(file.name)) {
                return Err(Error::DuplicateName { index });
            }
        }
        Ok(fs)
    }

    /// Entry `index` (below `count`, whose table bytes `parse` checked exist).
    fn entry(&self, index: usize) -> Result<File<'a>, Error> {
        let at = HEADER_BYTES + index * ENTRY_BYTES;
        let field = &self.bytes[at..at + NAME_BYTES];
        let len = field.iter().position(|&b| b == 0).ok_or(Error::BadName { index })?;
        let name = core::str::from_utf8(&field[..len]).map_err(|_| Error::BadName { index })?;
        if name.is_empty() {
            return Err(Error::BadName { index });
        }
        let (offset, size) = (u64_at(self.bytes, at + NAME_BYTES), u64_at(self.bytes, at + NAME_BYTES + 8));
        let extent = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(o, n)| Some(o..o.checked_add(n)?))
            .filter(|r| r.end <= self.bytes.len())
            .ok_or(Error::BadExtent { index, offset, len: size })?;
        Ok(File { name, data: &self.bytes[extent] })
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn files(&self) -> impl Iterator<Item = File<'a>> + '_ {
        // Every entry was checked by `parse`.
        (0..self.count).filter_map(|i| self.entry(i).ok())
    }

    pub fn find(&self, name: &str) -> Option<File<'a>> {
        self.files().find(|f| f.name == name)
    }
}

/// Packs `files` (name, bytes) into an archive; names must be unique,
/// non-empty and shorter than `NAME_BYTES`.
#[cfg(feature = "std")]
pub fn write(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    if files.len() > MAX_ENTRIES {
        return Err(format!("{} files, a boot filesystem holds at most {MAX_ENTRIES}", files.len()));
    }
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(files.len() as u32).to_le_bytes());
    let mut offset = (HEADER_BYTES + files.len() * ENTRY_BYTES).next_multiple_of(FILE_ALIGN);
    for (i, (name, data)) in files.iter().enumerate() {
        if name.is_empty() || name.len() >= NAME_BYTES || name.contains('\0') {
            return Err(format!("'{name}': a name is 1 to {} bytes, with no NUL", NAME_BYTES - 1));
        }
        if files[..i].iter().any(|(n, _)| n == name) {
            return Err(format!("'{name}' is given twice"));
        }
        let mut field = [0u8; NAME_BYTES];
        field[..name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&field);
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset = (offset + data.len()).next_multiple_of(FILE_ALIGN);
    }
    for (_, data) in files {
        out.resize(out.len().next_multiple_of(FILE_ALIGN), 0);
        out.extend_from_slice(data);
    }
    Ok(out)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn archive() -> Vec<u8> {
        write(&[("launchd".into(), b"init".to_vec()), ("sh".into(), vec![7; 33])]).unwrap()
    }

    #[test]
    fn round_trip() {
        let bytes = archive();
        let fs = BootFs::parse(&bytes).unwrap();
        assert_eq!(fs.len(), 2);
        assert_eq!(fs.find("launchd").unwrap().data, b"init");
        assert_eq!(fs.find("sh").unwrap().data, &[7; 33][..]);
        assert!(fs.find("login").is_none());
        assert!(fs.files().all(|f| (f.data.as_ptr() as usize - bytes.as_ptr() as usize) % FILE_ALIGN == 0));
    }

    #[test]
    fn damage_is_refused() {
        let good = archive();
        let mut b = good.clone();
        b[0] = b'Y';
        assert_eq!(BootFs::parse(&b).err(), Some(Error::BadMagic));
        let mut b = good.clone();
        b[8] = 2;
        assert_eq!(BootFs::parse(&b).err(), Some(Error::BadVersion(2)));
        let mut b = good.clone();
        b[12..16].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(BootFs::parse(&b).err(), Some(Error::TooManyEntries(1000)));
        // The second entry's length made to run past the end.
        let mut b = good.clone();
        let len_at = HEADER_BYTES + ENTRY_BYTES + NAME_BYTES + 8;
        b[len_at..len_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(BootFs::parse(&b), Err(Error::BadExtent { index: 1, .. })));
        // A name that fills its field with no NUL.
        let mut b = good.clone();
        b[HEADER_BYTES..HEADER_BYTES + NAME_BYTES].fill(b'a');
        assert_eq!(BootFs::parse(&b).err(), Some(Error::BadName { index: 0 }));
        // The second name made equal to the first.
        let mut b = good.clone();
        let (first, second) = (HEADER_BYTES, HEADER_BYTES + ENTRY_BYTES);
        let name: Vec<u8> = b[first..first + NAME_BYTES].to_vec();
        b[second..second + NAME_BYTES].copy_from_slice(&name);
        assert_eq!(BootFs::parse(&b).err(), Some(Error::DuplicateName { index: 1 }));
        assert!(matches!(BootFs::parse(&good[..20]), Err(Error::TooShort { .. })));
    }

    #[test]
    fn writer_refuses_bad_names() {
        assert!(write(&[("".into(), vec![])]).is_err());
        assert!(write(&[("a".repeat(NAME_BYTES), vec![])]).is_err());
        assert!(write(&[("a".into(), vec![]), ("a".into(), vec![])]).is_err());
    }

    #[test]
    fn any_bytes_parse_without_panic() {
        let good = archive();
        for i in 0..good.len() {
            for v in [0u8, 0xff, 0x80] {
                let mut b = good.clone();
                b[i] = v;
                if let Ok(fs) = BootFs::parse(&b) {
                    let _ = fs.files().count();
                }
            }
        }
    }
}
