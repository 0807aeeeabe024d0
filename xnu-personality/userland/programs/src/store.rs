//! Secure storage from a task: the darwin `storage` service by
//! ENDPOINT_CALL, values through its named buffers (a put's into
//! `storage_in`, a get's out of `storage_out`).
//!
//! Like any named buffer, these two are shared by every task that opens
//! them: two tasks storing at the same moment can see each other's values.

use libsystem::abi::exclaves::{BUFFER_PERM_READ, BUFFER_PERM_WRITE};
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
            StoreError::Refused(c) if c == XNU_FAILED => "XNU failed the storage upcalls",
            StoreError::Refused(c) if c == NO_KEY => "no storage key",
            StoreError::Refused(c) if c == COUNTERS => "the secure counters are full or failed",
            StoreError::Refused(_) => "refused",
            StoreError::Reply => "the reply does not decode",
            StoreError::Argument => "a key is 1 to 64 bytes, a value at most 16 KiB",
        }
    }
}

/// The service and the two buffers, opened; their handles go with it.
pub struct Store {
    service: u64,
    input: u32,
    output: u32,
}

impl Drop for Store {
    fn drop(&mut self) {
        Store::close(self.input);
        Store::close(self.output);
    }
}

impl Store {
    pub fn open() -> Result<Store, StoreError> {
        let service = exclaves::lookup("storage").map_err(|e| StoreError::Kern("no storage service here", e.0))?;
        let input = exclaves::buffer_create("storage_in", VALUE_MAX as u64, BUFFER_PERM_WRITE)
            .map_err(|e| StoreError::Kern("storage_in does not open", e.0))?;
        let output = match exclaves::buffer_create("storage_out", VALUE_MAX as u64, BUFFER_PERM_READ) {
            Ok(h) => h,
            Err(e) => {
                Self::close(input);
                return Err(StoreError::Kern("storage_out does not open", e.0));
            }
        };
        Ok(Store { service, input, output })
    }

    /// The handle that opened first goes again if the second fails.
    fn close(handle: u32) {
        let _ = libsystem::mach::port_deallocate(libsystem::mach::task_self(), handle);
    }

    /// Stores `value` under `key`: its version.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<u64, StoreError> {
        if value.len() > VALUE_MAX {
            return Err(StoreError::Argument);
        }
        if !value.is_empty() {
            exclaves::buffer_copyin(self.input, value, (value.len() as u64, 0), (0, 0))
                .map_err(|e| StoreError::Kern("the copy into storage_in failed", e.0))?;
        }
        match self.call(&Request::Put(Put { len: value.len() as u32, key }))? {
            Reply::Stored(Stored { version }) => Ok(version),
            _ => Err(StoreError::Reply),
        }
    }

    /// The value under `key` into `out`: its length and version.
    pub fn get(&self, key: &[u8], out: &mut [u8]) -> Result<(usize, u64), StoreError> {
        let (len, version) = match self.call(&Request::Get(Key { key }))? {
            Reply::Value(Value { len, version }) => (len as usize, version),
            _ => return Err(StoreError::Reply),
        };
        let out = out.get_mut(..len).ok_or(StoreError::Argument)?;
        if len > 0 {
            exclaves::buffer_copyout(self.output, out, (len as u64, 0), (0, 0))
                .map_err(|e| StoreError::Kern("the copy out of storage_out failed", e.0))?;
        }
        Ok((len, version))
    }

    /// Removes the value under `key`: the key's last version.
    pub fn remove(&self, key: &[u8]) -> Result<u64, StoreError> {
        match self.call(&Request::Remove(Key { key }))? {
            Reply::Stored(Stored { version }) => Ok(version),
            _ => Err(StoreError::Reply),
        }
    }

    /// One call: the service's reply (the two it gives hold no borrow).
    fn call(&self, request: &Request<'_>) -> Result<Reply<'static>, StoreError> {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(request, &mut m).map_err(|_| StoreError::Argument)?;
        exclaves::endpoint_call(self.service, &mut m).map_err(|e| StoreError::Kern("ENDPOINT_CALL failed", e.0))?;
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
