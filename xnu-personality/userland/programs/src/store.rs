//! Secure storage from a task: the darwin `storage` service by
//! ENDPOINT_CALL, each value moved by XNU within the call, between the
//! task's own buffer and the service (`endpoint_call_with_data`).

use libsystem::exclaves;
use tightbeam::storage::{Key, Put, Stored, Value};
use tightbeam::{decode_reply, encode_request, ErrorCode, Received, Reply, Request, MESSAGE_BYTES};

/// The longest value (the buffers' size).
pub const VALUE_MAX: usize = 0x4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// A trap failed with this kern_return (the service is not here, a
    /// buffer would not open, the call failed).
    Kern(&'static str, u64),
    /// The service refused (`tightbeam::storage::refusal`).
    Refused(ErrorCode),
    /// Its reply is not the reply to the call.
    Reply,
    /// A key of 1 to 64 bytes, a value of at most [`VALUE_MAX`].
    Argument,
}

impl StoreError {
    /// What the refusal means, for people.
    pub fn describe(&self) -> &'static str {
        use tightbeam::storage::refusal::*;
        match *self {
            StoreError::Kern(what, _) => what,
            StoreError::Refused(c) if c == NOT_FOUND => "not found",
            StoreError::Refused(c) if c == TAMPERED => "tampered with: the stored value does not authenticate",
            StoreError::Refused(c) if c == ROLLED_BACK => "rolled back: the stored value is older than the last one written",
            StoreError::Refused(c) if c == TOO_LARGE => "too large",
            StoreError::Refused(c) if c == SHORT_BUFFER => "the buffer is shorter than the value",
            StoreError::Refused(c) if c == XNU_FAILED => "XNU failed the storage upcalls",
            StoreError::Refused(c) if c == NO_KEY => "no storage key",
            StoreError::Refused(c) if c == COUNTERS => "the secure counters are full or failed",
            StoreError::Refused(_) => "refused",
            StoreError::Reply => "the reply does not decode",
            StoreError::Argument => "a key is 1 to 64 bytes, a value at most 16 KiB",
        }
    }
}

/// The service, looked up.
pub struct Store {
    service: u64,
}

impl Store {
    pub fn open() -> Result<Store, StoreError> {
        let service = exclaves::lookup("storage").map_err(|e| StoreError::Kern("no storage service here", e.0))?;
        Ok(Store { service })
    }

    /// Stores `value` under `key`: its version.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<u64, StoreError> {
        if value.len() > VALUE_MAX {
            return Err(StoreError::Argument);
        }
        // The service asks XNU to read a put's data, never to write it.
        match self.call(&Request::Put(Put { len: value.len() as u32, key }), value.as_ptr().cast_mut(), value.len())? {
            Reply::Stored(Stored { version }) => Ok(version),
            _ => Err(StoreError::Reply),
        }
    }

    /// The value under `key` into `out`: its length and version.
    pub fn get(&self, key: &[u8], out: &mut [u8]) -> Result<(usize, u64), StoreError> {
        match self.call(&Request::Get(Key { key }), out.as_mut_ptr(), out.len())? {
            Reply::Value(Value { len, version }) => Ok((len as usize, version)),
            _ => Err(StoreError::Reply),
        }
    }

    /// Removes the value under `key`: the key's last version.
    pub fn remove(&self, key: &[u8]) -> Result<u64, StoreError> {
        match self.call(&Request::Remove(Key { key }), core::ptr::null_mut(), 0)? {
            Reply::Stored(Stored { version }) => Ok(version),
            _ => Err(StoreError::Reply),
        }
    }

    /// One call with `len` bytes of data at `data`: the service's reply
    /// (the two it gives hold no borrow).
    fn call(&self, request: &Request<'_>, data: *mut u8, len: usize) -> Result<Reply<'static>, StoreError> {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(request, &mut m).map_err(|_| StoreError::Argument)?;
        exclaves::endpoint_call_with_data(self.service, &mut m, data, len).map_err(|e| StoreError::Kern("ENDPOINT_CALL failed", e.0))?;
        let received = Received::copy_from(&m).map_err(|_| StoreError::Reply)?;
        match decode_reply(&received, request.method()) {
            Ok(Ok(Reply::Stored(s))) => Ok(Reply::Stored(s)),
            Ok(Ok(Reply::Value(v))) => Ok(Reply::Value(v)),
            Ok(Ok(_)) => Err(StoreError::Reply),
            Ok(Err(code)) => Err(StoreError::Refused(code)),
            Err(_) => Err(StoreError::Reply),
        }
    }
}
