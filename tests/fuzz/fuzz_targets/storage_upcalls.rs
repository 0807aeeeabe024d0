//! Secure storage (`exclaves/storage`) against upcall replies and stored
//! blobs from fuzz bytes, as a compromised XNU gives them: after an honest
//! put, a get whose every upcall reply is raw bytes (decoded as storage
//! decodes them) and whose read data is raw bytes. It never panics, and a
//! get that succeeds gives exactly the value put.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secure_storage::counters::NvError;
use secure_storage::{Buffers, SecureNv, Step, Storage, StorageKeys, BLOB_MAX, VALUE_MAX};
use tightbeam::storage::{Count, Key, ObjectSize, Opened, Put};
use tightbeam::{decode_reply, Received, Reply, Request, MESSAGE_BYTES};

struct Flash(Vec<u8>);

impl SecureNv for Flash {
    const SECTOR: usize = 4096;
    fn read(&self, offset: usize, out: &mut [u8]) {
        out.copy_from_slice(&self.0[offset..offset + out.len()]);
    }
    fn erase(&mut self, offset: usize) -> Result<(), NvError> {
        self.0[offset..offset + Self::SECTOR].fill(0xff);
        Ok(())
    }
    fn program(&mut self, offset: usize, bytes: &[u8]) -> Result<(), NvError> {
        self.0[offset..offset + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
}

struct Shared {
    value_in: Vec<u8>,
    value_out: Vec<u8>,
    blob_out: Vec<u8>,
    blob_in: Vec<u8>,
}

impl Buffers for Shared {
    fn value_in(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.value_in[..out.len()]);
    }
    fn value_out(&mut self, value: &[u8]) {
        self.value_out[..value.len()].copy_from_slice(value);
    }
    fn blob_out(&mut self, blob: &[u8]) {
        self.blob_out[..blob.len()].copy_from_slice(blob);
    }
    fn blob_in(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.blob_in[..out.len()]);
    }
}

const VALUE: &[u8] = b"the value that was put";

fuzz_target!(|data: &[u8]| {
    let mut storage = Storage::new(Flash(vec![0; 2 * 4096]));
    storage.set_keys(StorageKeys::derive(&[3; 32]));
    let mut b = Shared { value_in: vec![0; VALUE_MAX], value_out: vec![0; VALUE_MAX], blob_out: vec![0; BLOB_MAX], blob_in: vec![0; BLOB_MAX] };
    b.value_in[..VALUE.len()].copy_from_slice(VALUE);
    // The honest put: caller-in, open, write.
    let mut step = storage.request(&Request::Put(Put { len: VALUE.len() as u32, key: b"k" }));
    let mut blob = Vec::new();
    for _ in 0..4 {
        let reply = match step {
            Step::Upcall(Request::CallerIn(c)) => Reply::Count(c),
            Step::Upcall(Request::Open(_)) => Reply::Opened(Opened { object: 1 }),
            Step::Upcall(Request::WriteObject(io)) => {
                blob = b.blob_out[..io.len as usize].to_vec();
                Reply::Count(Count { len: io.len })
            }
            _ => break,
        };
        step = match storage.upcall_reply(Some(Ok(reply)), &mut b) {
            Some(s) => s,
            None => return,
        };
    }
    assert!(matches!(step, Step::Answer(_, Ok(Reply::Stored(_)))), "the honest put failed: {step:?}");
    // The get, every reply from the fuzz bytes (the first three replies'
    // worth), the read's data from the rest.
    let (mut rest, head) = data.split_at(data.len().min(3 * MESSAGE_BYTES));
    let head = &head[..head.len().min(BLOB_MAX)];
    b.blob_in[..blob.len()].copy_from_slice(&blob);
    b.blob_in[..head.len()].copy_from_slice(head);
    let mut step = storage.request(&Request::Get(Key { key: b"k" }));
    for _ in 0..8 {
        let Step::Upcall(upcall) = step else { break };
        let mut raw = [0u8; MESSAGE_BYTES];
        let n = rest.len().min(MESSAGE_BYTES);
        raw[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        // Now and then the honest size, so that the read is reached.
        let honest = matches!(upcall, Request::ObjectSize(_)) && n % 2 == 0;
        let received = Received::copy_from(&raw).ok();
        let reply = match (honest, &received) {
            (true, _) => Some(Ok(Reply::ObjectSize(ObjectSize { size: blob.len() as u64 }))),
            (false, Some(r)) => decode_reply(r, upcall.method()).ok(),
            (false, None) => None,
        };
        step = match storage.upcall_reply(reply, &mut b) {
            Some(s) => s,
            None => return,
        };
    }
    if let Step::Answer(_, Ok(Reply::Value(v))) = step {
        assert_eq!(&b.value_out[..v.len as usize], VALUE, "a get gave other bytes than the value put");
    }
});
