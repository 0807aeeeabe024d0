//! Secure storage: values that XNU keeps on its disk but can neither read
//! nor change unnoticed, nor replay in an older version.
//!
//! A request (put, get, remove) runs as one or more upcalls to XNU (the
//! caller's value in or out; open, write, size, read, remove of a named
//! object), each answered by
//! XNU calling back with its reply ([`Storage::upcall_reply`]); the last
//! step answers the request. Nothing in an upcall reply is trusted: a
//! count, size or code out of protocol ends the request with
//! [`refusal::XNU_FAILED`], a blob that does not open with
//! [`refusal::TAMPERED`], and a valid blob of another version than the
//! last committed one with [`refusal::ROLLED_BACK`].
#![cfg_attr(not(test), no_std)]

pub mod blob;
pub mod counters;
pub mod names;
#[cfg(test)]
mod tests;

use tightbeam::storage::{
    refusal, upcall_refusal, Count, Key, Object, ObjectIo, ObjectName, ObjectSize, Opened, Put, Stored, Value, KEY_MAX,
    OBJECT_NAME_BYTES, OPEN_CREATE, OPEN_TRUNCATE,
};
use tightbeam::{ErrorCode, MethodId, Reply, Request};

pub use counters::{Counters, SecureNv};
pub use names::{ObjectTag, StorageKeys};

/// The longest value (the size of `storage_in` and `storage_out`).
pub const VALUE_MAX: usize = 0x4000;
/// The longest blob (at most the size of the upcall buffers).
pub const BLOB_MAX: usize = VALUE_MAX + blob::OVERHEAD;

/// The four buffers, each shared with XNU.
pub trait Buffers {
    /// The first `out.len()` bytes of `storage_in` (a put's value, which
    /// XNU put there for the caller-in upcall).
    fn value_in(&self, out: &mut [u8]);
    /// Writes a get's value at the start of `storage_out`, for the
    /// caller-out upcall.
    fn value_out(&mut self, value: &[u8]);
    /// Writes a sealed blob at the start of `upcall_out`, for XNU to store.
    fn blob_out(&mut self, blob: &[u8]);
    /// The first `out.len()` bytes of `upcall_in` (what XNU read).
    fn blob_in(&self, out: &mut [u8]);
}

/// What to do next: answer the request that `MethodId` is, or ask XNU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Answer(MethodId, Result<Reply<'static>, ErrorCode>),
    Upcall(Request<'static>),
}

/// An upcall's reply as XNU gave it: decoded, or `None` if it was no reply
/// to that upcall at all.
pub type UpcallReply<'a> = Option<Result<Reply<'a>, ErrorCode>>;

/// A request part way, waiting for XNU's reply to its upcall.
#[derive(Debug, Clone, Copy)]
enum Pending {
    /// Put: the caller's value in, the object opened for writing, then the
    /// blob written.
    PutIn { key_len: usize, key: [u8; KEY_MAX], len: usize },
    PutOpen { tag: ObjectTag, version: u64, len: usize },
    PutWrite { tag: ObjectTag, version: u64, len: usize },
    /// Get: the object opened, its size, then its bytes.
    GetOpen { tag: ObjectTag, version: u64 },
    GetSize { tag: ObjectTag, version: u64, object: u32 },
    GetRead { tag: ObjectTag, version: u64, len: usize },
    /// Get: the value out to the caller.
    GetOut { version: u64, len: usize },
    /// Remove: XNU's copy gone (the counters already say so).
    Remove { version: u64 },
}

impl Pending {
    fn method(&self) -> MethodId {
        match self {
            Pending::PutIn { .. } | Pending::PutOpen { .. } | Pending::PutWrite { .. } => MethodId::Put,
            Pending::GetOpen { .. } | Pending::GetSize { .. } | Pending::GetRead { .. } | Pending::GetOut { .. } => MethodId::Get,
            Pending::Remove { .. } => MethodId::Remove,
        }
    }

    /// The upcall this step waits on.
    fn upcall(&self) -> MethodId {
        match self {
            Pending::PutIn { .. } => MethodId::CallerIn,
            Pending::GetOut { .. } => MethodId::CallerOut,
            Pending::PutOpen { .. } | Pending::GetOpen { .. } => MethodId::Open,
            Pending::PutWrite { .. } => MethodId::WriteObject,
            Pending::GetSize { .. } => MethodId::ObjectSize,
            Pending::GetRead { .. } => MethodId::ReadObject,
            Pending::Remove { .. } => MethodId::RemoveObject,
        }
    }
}

pub struct Storage<N: SecureNv> {
    keys: Option<StorageKeys>,
    counters: Counters<N>,
    pending: Option<Pending>,
    /// Private room for a blob: sealed and opened here, never in a buffer
    /// XNU can read while it happens.
    work: [u8; BLOB_MAX],
}

impl<N: SecureNv> Storage<N> {
    pub fn new(nv: N) -> Self {
        Storage { keys: None, counters: Counters::load(nv), pending: None, work: [0; BLOB_MAX] }
    }

    pub fn has_keys(&self) -> bool {
        self.keys.is_some()
    }

    pub fn set_keys(&mut self, keys: StorageKeys) {
        self.keys = Some(keys);
    }

    /// The upcall a step waits on, for the caller to check a reply against.
    pub fn waiting_on(&self) -> Option<MethodId> {
        self.pending.as_ref().map(Pending::upcall)
    }

    /// A new request. One still waiting for XNU is abandoned: XNU chose
    /// not to answer it.
    pub fn request(&mut self, request: &Request<'_>) -> Step {
        self.pending = None;
        let method = request.method();
        let step = match self.keys.clone() {
            None => Err(refusal::NO_KEY),
            Some(keys) => match *request {
                Request::Put(put) => Self::put(put),
                Request::Get(Key { key }) => self.get(&keys, key),
                Request::Remove(Key { key }) => self.remove(&keys, key),
                _ => Err(ErrorCode::INTERNAL),
            },
        };
        self.step(method, step)
    }

    /// XNU's reply to the outstanding upcall; `None` if none is
    /// outstanding (a call out of protocol, with no request to answer).
    pub fn upcall_reply(&mut self, reply: UpcallReply<'_>, buffers: &mut impl Buffers) -> Option<Step> {
        let pending = self.pending.take()?;
        let step = match reply {
            None => Err(refusal::XNU_FAILED),
            Some(reply) => self.resume(pending, reply, buffers),
        };
        Some(self.step(pending.method(), step))
    }

    /// `Ok(Ok(reply))` answers, `Ok(Err(pending))` makes that step's upcall.
    fn step(&mut self, method: MethodId, step: Result<Result<Reply<'static>, (Pending, Request<'static>)>, ErrorCode>) -> Step {
        match step {
            Ok(Err((pending, upcall))) => {
                self.pending = Some(pending);
                Step::Upcall(upcall)
            }
            Ok(Ok(reply)) => Step::Answer(method, Ok(reply)),
            Err(code) => Step::Answer(method, Err(code)),
        }
    }

    fn put(put: Put<'_>) -> Result<Next, ErrorCode> {
        let len = usize::try_from(put.len).ok().filter(|&l| l <= VALUE_MAX).ok_or(refusal::TOO_LARGE)?;
        let mut key = [0u8; KEY_MAX];
        key[..put.key.len()].copy_from_slice(put.key);
        Ok(upcall(Pending::PutIn { key_len: put.key.len(), key, len }, Request::CallerIn(Count { len: put.len })))
    }

    /// The caller's value is in `storage_in`: copied in, then sealed in
    /// private memory under a newly reserved version.
    fn seal(&mut self, key: &[u8], len: usize, buffers: &mut impl Buffers) -> Result<Next, ErrorCode> {
        let keys = self.keys.clone().ok_or(refusal::NO_KEY)?;
        let (tag, name) = keys.object(key);
        buffers.value_in(&mut self.work[..len]);
        let version = self.counters.reserve(&tag).map_err(|_| refusal::COUNTERS)?;
        let sealed = blob::seal(&keys.seal, &tag, version, &mut self.work, len).ok_or(ErrorCode::INTERNAL)?;
        Ok(upcall(Pending::PutOpen { tag, version, len: sealed }, open(name, OPEN_CREATE | OPEN_TRUNCATE)))
    }

    fn get(&mut self, keys: &StorageKeys, key: &[u8]) -> Result<Next, ErrorCode> {
        let (tag, name) = keys.object(key);
        // No committed version: nothing XNU holds can be the value.
        let version = self.counters.get(&tag).map(|e| e.committed).filter(|&v| v != 0).ok_or(refusal::NOT_FOUND)?;
        Ok(upcall(Pending::GetOpen { tag, version }, open(name, 0)))
    }

    fn remove(&mut self, keys: &StorageKeys, key: &[u8]) -> Result<Next, ErrorCode> {
        let (tag, name) = keys.object(key);
        let entry = self.counters.get(&tag).filter(|e| e.committed != 0).ok_or(refusal::NOT_FOUND)?;
        // Gone for the exclave first, whatever XNU then does with its copy.
        self.counters.commit(&tag, 0).map_err(|_| refusal::COUNTERS)?;
        let upcall_request = Request::RemoveObject(ObjectName { flags: 0, name });
        Ok(upcall(Pending::Remove { version: entry.reserved }, upcall_request))
    }

    fn resume(&mut self, pending: Pending, reply: Result<Reply<'_>, ErrorCode>, buffers: &mut impl Buffers) -> Result<Next, ErrorCode> {
        // XNU's own refusals, then any reply of another type, are its failure.
        let reply = match (pending, reply) {
            (Pending::PutIn { .. } | Pending::GetOut { .. }, Err(upcall_refusal::CALLER_BUFFER)) => return Err(refusal::SHORT_BUFFER),
            (Pending::GetOpen { .. }, Err(upcall_refusal::NOT_FOUND)) => return Err(refusal::TAMPERED),
            (Pending::Remove { version }, Err(upcall_refusal::NOT_FOUND)) => return Ok(Ok(Reply::Stored(Stored { version }))),
            (_, Err(_)) => return Err(refusal::XNU_FAILED),
            (_, Ok(reply)) => reply,
        };
        match (pending, reply) {
            (Pending::PutIn { key_len, key, len }, Reply::Count(Count { len: moved })) => {
                if moved as usize != len {
                    return Err(refusal::XNU_FAILED);
                }
                self.seal(&key[..key_len], len, buffers)
            }
            (Pending::PutOpen { tag, version, len }, Reply::Opened(Opened { object })) => {
                buffers.blob_out(&self.work[..len]);
                Ok(upcall(Pending::PutWrite { tag, version, len }, io(MethodId::WriteObject, object, len)))
            }
            (Pending::PutWrite { tag, version, len }, Reply::Count(Count { len: written })) => {
                if written as usize != len {
                    return Err(refusal::XNU_FAILED);
                }
                self.counters.commit(&tag, version).map_err(|_| refusal::COUNTERS)?;
                Ok(Ok(Reply::Stored(Stored { version })))
            }
            (Pending::GetOpen { tag, version }, Reply::Opened(Opened { object })) => {
                Ok(upcall(Pending::GetSize { tag, version, object }, Request::ObjectSize(Object { object })))
            }
            (Pending::GetSize { tag, version, object }, Reply::ObjectSize(ObjectSize { size })) => {
                // No blob of ours has another size.
                let len = usize::try_from(size).ok().filter(|l| (blob::OVERHEAD..=BLOB_MAX).contains(l)).ok_or(refusal::TAMPERED)?;
                Ok(upcall(Pending::GetRead { tag, version, len }, io(MethodId::ReadObject, object, len)))
            }
            (Pending::GetRead { tag, version, len }, Reply::Count(Count { len: read })) => {
                if read as usize != len {
                    return Err(refusal::XNU_FAILED);
                }
                let keys = self.keys.as_ref().ok_or(refusal::NO_KEY)?;
                let work = &mut self.work[..len];
                buffers.blob_in(work);
                let (found, value) = blob::open(&keys.seal, &tag, work).map_err(|_| refusal::TAMPERED)?;
                if found != version {
                    return Err(refusal::ROLLED_BACK);
                }
                buffers.value_out(value);
                let len = value.len();
                Ok(upcall(Pending::GetOut { version, len }, Request::CallerOut(Count { len: len as u32 })))
            }
            (Pending::GetOut { version, len }, Reply::Count(Count { len: moved })) => {
                if moved as usize != len {
                    return Err(refusal::XNU_FAILED);
                }
                Ok(Ok(Reply::Value(Value { len: len as u32, version })))
            }
            (Pending::Remove { version }, Reply::Done(_)) => Ok(Ok(Reply::Stored(Stored { version }))),
            _ => Err(refusal::XNU_FAILED),
        }
    }
}

/// A step's outcome: the reply, or the pending step and its upcall.
type Next = Result<Reply<'static>, (Pending, Request<'static>)>;

fn upcall(pending: Pending, request: Request<'static>) -> Next {
    Err((pending, request))
}

fn open(name: [u8; OBJECT_NAME_BYTES], flags: u32) -> Request<'static> {
    Request::Open(ObjectName { flags, name })
}

fn io(method: MethodId, object: u32, len: usize) -> Request<'static> {
    // Blobs are at most BLOB_MAX bytes, far below u32::MAX.
    let io = ObjectIo { object, offset: 0, len: len as u32 };
    if method == MethodId::WriteObject {
        Request::WriteObject(io)
    } else {
        Request::ReadObject(io)
    }
}
