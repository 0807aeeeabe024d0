//! XNU's object store: the named objects the storage exclave's upcalls
//! open, read, write, size and remove, kept on XNU's disk.
//!
//! The disk, in 512-byte sectors:
//! - sectors 0-7: the directory, 64 records of 64 bytes. Record 0 is the
//!   header (`XNUOBJS1`); record `i` (1 to 63) is object `i`: its name
//!   (32 hex digits), its size (u64), and whether it is in use (u32).
//! - then each object's extent of [`EXTENT_SECTORS`] sectors, in order.
//!
//! The directory is read once, at the first upcall, and written whole on
//! every change, so the disk always holds a whole one. A disk whose
//! directory does not check (no header, a size past its extent, a name not
//! hex) counts its bad records as free: XNU serves on, and the exclave finds
//! its objects changed.
//!
//! Each upcall becomes at most two disk transfers, one at a time through a
//! data area the caller gives ([`Store::serve`], then [`Store::io_done`]).
#![cfg_attr(not(test), no_std)]

use tightbeam::indicator::Done;
use tightbeam::storage::{
    upcall_refusal, Count, Object, ObjectIo, ObjectName, ObjectSize, Opened, OBJECT_NAME_BYTES, OPEN_CREATE, OPEN_TRUNCATE,
};
use tightbeam::{ErrorCode, Reply, Request};

pub const SECTOR: usize = 512;
const RECORD: usize = 64;
const RECORDS: usize = 64;
pub const DIRECTORY_BYTES: usize = RECORD * RECORDS;
const DIRECTORY_SECTORS: u64 = (DIRECTORY_BYTES / SECTOR) as u64;
/// Objects 1 to 63.
pub const OBJECTS: usize = RECORDS - 1;
/// An object's room: the largest sealed blob fits.
pub const EXTENT_BYTES: usize = 0x5000;
const EXTENT_SECTORS: u64 = (EXTENT_BYTES / SECTOR) as u64;
/// The sectors the store uses; a disk must have at least as many.
pub const DISK_SECTORS: u64 = DIRECTORY_SECTORS + OBJECTS as u64 * EXTENT_SECTORS;
/// The data area a transfer needs.
pub const DATA_BYTES: usize = EXTENT_BYTES;

const MAGIC: &[u8; 8] = b"XNUOBJS1";

/// One transfer between the data area and the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Disk to the data area's first `sectors * 512` bytes.
    Read { sector: u64, sectors: u32 },
    /// The data area's first `sectors * 512` bytes to disk.
    Write { sector: u64, sectors: u32 },
}

/// What to do next for the upcall being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer the exclave.
    Reply(Result<Reply<'static>, ErrorCode>),
    /// Make this transfer, then call [`Store::io_done`].
    Transfer(Transfer),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Record {
    name: [u8; OBJECT_NAME_BYTES],
    size: u64,
    used: bool,
}

/// What a transfer in flight was for.
#[derive(Debug, Clone, Copy)]
enum After {
    /// The directory's first read, then this upcall.
    Load(Upcall),
    /// A directory write, then this reply.
    Directory(Reply<'static>),
    /// An object's data written (`len` bytes at `end - len`): then its
    /// size, if it grew, in a directory write.
    Data { object: usize, end: u64, len: u32 },
    /// An object's data read: `len` bytes to the exclave, from `skip` in
    /// the data area.
    Read { skip: usize, len: u32 },
}

/// The upcalls the store serves, without their borrowed parts.
#[derive(Debug, Clone, Copy)]
enum Upcall {
    Open(ObjectName),
    Remove(ObjectName),
    Read(ObjectIo),
    Write(ObjectIo),
    Size(Object),
}

pub struct Store {
    directory: Option<[Record; RECORDS]>,
    after: Option<After>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub const fn new() -> Self {
        Store { directory: None, after: None }
    }

    /// Serves `upcall`. `data` is the transfer area; `blob_out` the
    /// exclave's upcall buffer, the bytes of a write.
    pub fn serve(&mut self, upcall: &Request<'_>, data: &mut [u8], blob_out: &[u8]) -> Action {
        self.after = None;
        let upcall = match *upcall {
            Request::Open(o) => Upcall::Open(o),
            Request::RemoveObject(o) => Upcall::Remove(o),
            Request::ReadObject(io) => Upcall::Read(io),
            Request::WriteObject(io) => Upcall::Write(io),
            Request::ObjectSize(o) => Upcall::Size(o),
            _ => return Action::Reply(Err(ErrorCode::UNKNOWN_METHOD)),
        };
        if self.directory.is_none() {
            self.after = Some(After::Load(upcall));
            return Action::Transfer(Transfer::Read { sector: 0, sectors: DIRECTORY_SECTORS as u32 });
        }
        self.run(upcall, data, blob_out)
    }

    /// The transfer asked for ended (`ok`: without a device error). `data`
    /// as for `serve`; `blob_in` the upcall buffer a read fills.
    pub fn io_done(&mut self, ok: bool, data: &mut [u8], blob_out: &[u8], blob_in: &mut [u8]) -> Action {
        let Some(after) = self.after.take() else { return Action::Reply(Err(upcall_refusal::IO)) };
        if !ok {
            // A directory that never loaded is read again next time; one
            // whose write failed may differ from the disk: read it again too.
            self.directory = None;
            return Action::Reply(Err(upcall_refusal::IO));
        }
        match after {
            After::Load(upcall) => {
                self.directory = Some(parse(&data[..DIRECTORY_BYTES]));
                self.run(upcall, data, blob_out)
            }
            After::Directory(reply) => Action::Reply(Ok(reply)),
            After::Data { object, end, len } => {
                let Some(dir) = self.directory.as_mut() else { return Action::Reply(Err(upcall_refusal::IO)) };
                if end <= dir[object].size {
                    return Action::Reply(Ok(Reply::Count(Count { len })));
                }
                dir[object].size = end;
                self.write_directory(data, Reply::Count(Count { len }))
            }
            After::Read { skip, len } => {
                let len_bytes = len as usize;
                blob_in[..len_bytes].copy_from_slice(&data[skip..skip + len_bytes]);
                Action::Reply(Ok(Reply::Count(Count { len })))
            }
        }
    }

    fn run(&mut self, upcall: Upcall, data: &mut [u8], blob_out: &[u8]) -> Action {
        let Some(dir) = self.directory.as_mut() else { return Action::Reply(Err(upcall_refusal::IO)) };
        match upcall {
            Upcall::Open(ObjectName { flags, name }) => {
                let found = find(dir, &name);
                let object = match found {
                    Some(i) if flags & OPEN_TRUNCATE == 0 || dir[i].size == 0 => return reply(Reply::Opened(Opened { object: i as u32 })),
                    Some(i) => i,
                    None if flags & OPEN_CREATE == 0 => return Action::Reply(Err(upcall_refusal::NOT_FOUND)),
                    None => match (1..RECORDS).find(|&i| !dir[i].used) {
                        Some(i) => i,
                        None => return Action::Reply(Err(upcall_refusal::NO_SPACE)),
                    },
                };
                dir[object] = Record { name, size: 0, used: true };
                self.write_directory(data, Reply::Opened(Opened { object: object as u32 }))
            }
            Upcall::Remove(ObjectName { name, .. }) => match find(dir, &name) {
                None => Action::Reply(Err(upcall_refusal::NOT_FOUND)),
                Some(i) => {
                    dir[i] = Record::default();
                    self.write_directory(data, Reply::Done(Done))
                }
            },
            Upcall::Size(Object { object }) => match used(dir, object) {
                Some(i) => reply(Reply::ObjectSize(ObjectSize { size: dir[i].size })),
                None => Action::Reply(Err(upcall_refusal::NOT_FOUND)),
            },
            Upcall::Write(ObjectIo { object, offset, len }) => {
                let Some(i) = used(dir, object) else { return Action::Reply(Err(upcall_refusal::NOT_FOUND)) };
                // Whole sectors from a sector boundary; the tail of the
                // last sector is zeros.
                let (offset, len_bytes) = (offset as usize, len as usize);
                if offset % SECTOR != 0 || len_bytes > blob_out.len() {
                    return Action::Reply(Err(upcall_refusal::IO));
                }
                let Some(end) = offset.checked_add(len_bytes).filter(|&e| e <= EXTENT_BYTES) else {
                    return Action::Reply(Err(upcall_refusal::NO_SPACE));
                };
                let sectors = len_bytes.div_ceil(SECTOR);
                data[..len_bytes].copy_from_slice(&blob_out[..len_bytes]);
                data[len_bytes..sectors * SECTOR].fill(0);
                self.after = Some(After::Data { object: i, end: end as u64, len });
                let sector = extent(i) + (offset / SECTOR) as u64;
                Action::Transfer(Transfer::Write { sector, sectors: sectors as u32 })
            }
            Upcall::Read(ObjectIo { object, offset, len }) => {
                let Some(i) = used(dir, object) else { return Action::Reply(Err(upcall_refusal::NOT_FOUND)) };
                // What the object holds from `offset`, at most `len`.
                let size = dir[i].size as usize;
                let offset = (offset as usize).min(size);
                let len = (len as usize).min(size - offset);
                if len == 0 {
                    return reply(Reply::Count(Count { len: 0 }));
                }
                let first = offset / SECTOR;
                let sectors = (offset + len).div_ceil(SECTOR) - first;
                self.after = Some(After::Read { skip: offset % SECTOR, len: len as u32 });
                Action::Transfer(Transfer::Read { sector: extent(i) + first as u64, sectors: sectors as u32 })
            }
        }
    }

    fn write_directory(&mut self, data: &mut [u8], then: Reply<'static>) -> Action {
        let Some(dir) = self.directory.as_ref() else { return Action::Reply(Err(upcall_refusal::IO)) };
        encode(dir, &mut data[..DIRECTORY_BYTES]);
        self.after = Some(After::Directory(then));
        Action::Transfer(Transfer::Write { sector: 0, sectors: DIRECTORY_SECTORS as u32 })
    }
}

fn reply(r: Reply<'static>) -> Action {
    Action::Reply(Ok(r))
}

fn extent(object: usize) -> u64 {
    DIRECTORY_SECTORS + (object as u64 - 1) * EXTENT_SECTORS
}

fn find(dir: &[Record; RECORDS], name: &[u8; OBJECT_NAME_BYTES]) -> Option<usize> {
    (1..RECORDS).find(|&i| dir[i].used && &dir[i].name == name)
}

fn used(dir: &[Record; RECORDS], object: u32) -> Option<usize> {
    let i = usize::try_from(object).ok().filter(|&i| (1..RECORDS).contains(&i))?;
    dir[i].used.then_some(i)
}

fn parse(bytes: &[u8]) -> [Record; RECORDS] {
    let mut dir = [Record::default(); RECORDS];
    if &bytes[..MAGIC.len()] != MAGIC {
        return dir;
    }
    for (i, raw) in bytes.chunks_exact(RECORD).enumerate().skip(1) {
        let mut name = [0u8; OBJECT_NAME_BYTES];
        name.copy_from_slice(&raw[..OBJECT_NAME_BYTES]);
        let mut size = [0u8; 8];
        size.copy_from_slice(&raw[32..40]);
        let size = u64::from_le_bytes(size);
        let used = raw[40..44] == 1u32.to_le_bytes();
        let hex = name.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if used && hex && size <= EXTENT_BYTES as u64 {
            dir[i] = Record { name, size, used };
        }
    }
    dir
}

fn encode(dir: &[Record; RECORDS], out: &mut [u8]) {
    out.fill(0);
    out[..MAGIC.len()].copy_from_slice(MAGIC);
    for (r, raw) in dir.iter().zip(out.chunks_exact_mut(RECORD)).skip(1) {
        if r.used {
            raw[..OBJECT_NAME_BYTES].copy_from_slice(&r.name);
            raw[32..40].copy_from_slice(&r.size.to_le_bytes());
            raw[40..44].copy_from_slice(&1u32.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests;
