//! Storage against an XNU in memory: an honest one, and the ways a
//! compromised one can answer.

use std::collections::BTreeMap;

use tightbeam::hello::HelloReply;
use tightbeam::indicator::Done;

use super::*;
use crate::counters::tests::FakeFlash;

#[derive(Default)]
struct FakeBuffers {
    storage_in: Vec<u8>,
    storage_out: Vec<u8>,
    upcall_out: Vec<u8>,
    upcall_in: Vec<u8>,
    /// Everything ever written to `upcall_out`, for the ciphertext check.
    seen_by_xnu: Vec<u8>,
}

impl FakeBuffers {
    fn new() -> Self {
        FakeBuffers {
            storage_in: vec![0; VALUE_MAX],
            storage_out: vec![0; VALUE_MAX],
            upcall_out: vec![0; BLOB_MAX],
            upcall_in: vec![0; BLOB_MAX],
            seen_by_xnu: Vec::new(),
        }
    }
}

impl Buffers for FakeBuffers {
    fn value_in(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.storage_in[..out.len()]);
    }
    fn value_out(&mut self, value: &[u8]) {
        self.storage_out[..value.len()].copy_from_slice(value);
    }
    fn blob_out(&mut self, blob: &[u8]) {
        self.upcall_out[..blob.len()].copy_from_slice(blob);
        self.seen_by_xnu.extend_from_slice(blob);
    }
    fn blob_in(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.upcall_in[..out.len()]);
    }
}

/// XNU's side of the upcalls: objects by name, opened as indexes.
#[derive(Default, Clone)]
struct FakeXnu {
    objects: BTreeMap<[u8; 32], Vec<u8>>,
    open: Vec<[u8; 32]>,
}

impl FakeXnu {
    fn serve(&mut self, upcall: &Request<'_>, b: &mut FakeBuffers) -> Result<Reply<'static>, ErrorCode> {
        match *upcall {
            Request::Open(ObjectName { flags, name }) => {
                if !self.objects.contains_key(&name) && flags & OPEN_CREATE == 0 {
                    return Err(upcall_refusal::NOT_FOUND);
                }
                let object = self.objects.entry(name).or_default();
                if flags & OPEN_TRUNCATE != 0 {
                    object.clear();
                }
                self.open.push(name);
                Ok(Reply::Opened(Opened { object: (self.open.len() - 1) as u32 }))
            }
            Request::WriteObject(ObjectIo { object, offset, len }) => {
                let data = self.objects.get_mut(&self.open[object as usize]).ok_or(upcall_refusal::NOT_FOUND)?;
                let end = (offset + len) as usize;
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[offset as usize..end].copy_from_slice(&b.upcall_out[..len as usize]);
                Ok(Reply::Count(Count { len }))
            }
            Request::ObjectSize(Object { object }) => {
                let data = self.objects.get(&self.open[object as usize]).ok_or(upcall_refusal::NOT_FOUND)?;
                Ok(Reply::ObjectSize(ObjectSize { size: data.len() as u64 }))
            }
            Request::ReadObject(ObjectIo { object, offset, len }) => {
                let data = self.objects.get(&self.open[object as usize]).ok_or(upcall_refusal::NOT_FOUND)?;
                let bytes = &data[offset as usize..(offset + len) as usize];
                b.upcall_in[..bytes.len()].copy_from_slice(bytes);
                Ok(Reply::Count(Count { len }))
            }
            // The caller's value: the test puts it in `storage_in` itself
            // and reads a get's from `storage_out`.
            Request::CallerIn(Count { len }) | Request::CallerOut(Count { len }) => Ok(Reply::Count(Count { len })),
            Request::RemoveObject(ObjectName { name, .. }) => {
                self.objects.remove(&name).map(|_| Reply::Done(Done)).ok_or(upcall_refusal::NOT_FOUND)
            }
            _ => panic!("not an upcall: {upcall:?}"),
        }
    }
}

struct World {
    storage: Storage<FakeFlash>,
    xnu: FakeXnu,
    buffers: FakeBuffers,
}

impl World {
    fn new() -> Self {
        let mut storage = Storage::new(FakeFlash::new());
        storage.set_keys(StorageKeys::derive(&[9; 32]));
        World { storage, xnu: FakeXnu::default(), buffers: FakeBuffers::new() }
    }

    /// The same flash and disk after a reboot.
    fn rebooted(&self) -> Self {
        let mut storage = Storage::new(self.storage.counters.nv().clone());
        storage.set_keys(StorageKeys::derive(&[9; 32]));
        World { storage, xnu: self.xnu.clone(), buffers: FakeBuffers::new() }
    }

    /// Runs `request` to its answer with an honest XNU, `tamper` seeing
    /// each upcall's honest reply first and able to replace it.
    fn run_with(
        &mut self,
        request: Request<'_>,
        mut tamper: impl FnMut(&Request<'_>, Result<Reply<'static>, ErrorCode>) -> UpcallReply<'static>,
    ) -> (MethodId, Result<Reply<'static>, ErrorCode>) {
        let mut step = self.storage.request(&request);
        for _ in 0..8 {
            match step {
                Step::Answer(method, answer) => return (method, answer),
                Step::Upcall(upcall) => {
                    let honest = self.xnu.serve(&upcall, &mut self.buffers);
                    let reply = tamper(&upcall, honest);
                    step = self.storage.upcall_reply(reply, &mut self.buffers).expect("an upcall was outstanding");
                }
            }
        }
        panic!("more than 8 upcalls for one request");
    }

    fn run(&mut self, request: Request<'_>) -> Result<Reply<'static>, ErrorCode> {
        let (method, answer) = self.run_with(request, |_, honest| Some(honest));
        assert_eq!(method, request.method(), "answered under the request's method");
        answer
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<u64, ErrorCode> {
        self.buffers.storage_in[..value.len()].copy_from_slice(value);
        match self.run(Request::Put(Put { len: value.len() as u32, key }))? {
            Reply::Stored(Stored { version }) => Ok(version),
            other => panic!("put answered {other:?}"),
        }
    }

    fn get(&mut self, key: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        self.buffers.storage_out.fill(0xEE);
        match self.run(Request::Get(Key { key }))? {
            Reply::Value(Value { len, .. }) => Ok(self.buffers.storage_out[..len as usize].to_vec()),
            other => panic!("get answered {other:?}"),
        }
    }

    fn remove(&mut self, key: &[u8]) -> Result<u64, ErrorCode> {
        match self.run(Request::Remove(Key { key }))? {
            Reply::Stored(Stored { version }) => Ok(version),
            other => panic!("remove answered {other:?}"),
        }
    }

    /// XNU's only object (the test stores one).
    fn the_object(&mut self) -> &mut Vec<u8> {
        assert_eq!(self.xnu.objects.len(), 1);
        self.xnu.objects.values_mut().next().unwrap()
    }
}

#[test]
fn values_round_trip_and_versions_rise() {
    let mut w = World::new();
    assert_eq!(w.put(b"a", b"first"), Ok(1));
    assert_eq!(w.put(b"b", &[0x42; VALUE_MAX]), Ok(1));
    assert_eq!(w.put(b"a", b"second value"), Ok(2));
    assert_eq!(w.get(b"a").as_deref(), Ok(&b"second value"[..]));
    assert_eq!(w.get(b"b"), Ok(vec![0x42; VALUE_MAX]));
    assert_eq!(w.put(b"empty", b""), Ok(1));
    assert_eq!(w.get(b"empty"), Ok(vec![]));
}

#[test]
fn values_survive_a_reboot() {
    let mut w = World::new();
    w.put(b"k", b"kept").unwrap();
    let mut after = w.rebooted();
    assert_eq!(after.get(b"k").as_deref(), Ok(&b"kept"[..]));
    assert_eq!(after.put(b"k", b"newer"), Ok(2));
}

#[test]
fn unknown_and_removed_keys_are_not_found_without_asking_xnu() {
    let mut w = World::new();
    assert_eq!(w.storage.request(&Request::Get(Key { key: b"nope" })), Step::Answer(MethodId::Get, Err(refusal::NOT_FOUND)));
    w.put(b"k", b"v").unwrap();
    assert_eq!(w.remove(b"k"), Ok(1));
    assert!(w.xnu.objects.is_empty(), "XNU's copy removed");
    assert_eq!(w.get(b"k"), Err(refusal::NOT_FOUND));
    assert_eq!(w.remove(b"k"), Err(refusal::NOT_FOUND));
    assert_eq!(w.put(b"k", b"again"), Ok(2), "versions go on after a remove");
}

#[test]
fn a_removed_value_cannot_be_brought_back() {
    let mut w = World::new();
    w.put(b"k", b"v").unwrap();
    let saved = w.xnu.clone();
    w.remove(b"k").unwrap();
    w.xnu = saved;
    assert_eq!(w.get(b"k"), Err(refusal::NOT_FOUND));
}

#[test]
fn every_changed_byte_of_the_stored_blob_is_detected() {
    let mut w = World::new();
    w.put(b"k", b"a secret worth keeping").unwrap();
    let len = w.the_object().len();
    for at in 0..len {
        w.the_object()[at] ^= 0x01;
        assert_eq!(w.get(b"k"), Err(refusal::TAMPERED), "byte {at}");
        assert!(w.buffers.storage_out.iter().all(|&b| b == 0xEE), "no bytes reach the caller");
        w.the_object()[at] ^= 0x01;
    }
    assert_eq!(w.get(b"k").as_deref(), Ok(&b"a secret worth keeping"[..]));
}

#[test]
fn truncated_extended_or_missing_blobs_are_tampering() {
    let mut w = World::new();
    w.put(b"k", b"value").unwrap();
    let good = w.the_object().clone();
    for changed in [vec![], good[..10].to_vec(), good[..good.len() - 1].to_vec(), [&good[..], &[0]].concat(), vec![0; BLOB_MAX + 1]] {
        *w.the_object() = changed;
        assert_eq!(w.get(b"k"), Err(refusal::TAMPERED));
    }
    w.xnu.objects.clear();
    assert_eq!(w.get(b"k"), Err(refusal::TAMPERED), "a committed value XNU lost");
}

#[test]
fn an_older_blob_replayed_is_rolled_back() {
    let mut w = World::new();
    w.put(b"k", b"old").unwrap();
    let old = w.the_object().clone();
    w.put(b"k", b"new").unwrap();
    *w.the_object() = old.clone();
    assert_eq!(w.get(b"k"), Err(refusal::ROLLED_BACK));
    // And after a reboot, with the counters from secure memory.
    let mut after = w.rebooted();
    *after.the_object() = old;
    assert_eq!(after.get(b"k"), Err(refusal::ROLLED_BACK));
}

#[test]
fn a_blob_moved_to_another_key_does_not_open() {
    let mut w = World::new();
    w.put(b"a", b"value of a").unwrap();
    w.put(b"b", b"value of b").unwrap();
    let names: Vec<_> = w.xnu.objects.keys().copied().collect();
    let first = w.xnu.objects[&names[0]].clone();
    w.xnu.objects.insert(names[1], first);
    let results = [w.get(b"a"), w.get(b"b")];
    assert!(results.contains(&Err(refusal::TAMPERED)), "{results:?}");
}

#[test]
fn xnu_sees_only_ciphertext_and_no_keys() {
    let mut w = World::new();
    let secret = b"correct horse battery staple";
    w.put(b"password", secret).unwrap();
    w.get(b"password").unwrap();
    let stored = w.the_object().clone();
    let seen = [&w.buffers.seen_by_xnu[..], &w.buffers.upcall_in[..], &stored[..]].concat();
    assert!(!seen.windows(8).any(|win| secret.windows(8).any(|s| s == win)), "plaintext reached XNU");
    let names: Vec<_> = w.xnu.objects.keys().collect();
    assert!(!names[0].windows(4).any(|win| win == b"pass"), "the key reached XNU");
}

#[test]
fn out_of_protocol_replies_fail_the_request_and_keep_the_value() {
    type Tamper = fn(&Request<'_>, Result<Reply<'static>, ErrorCode>) -> UpcallReply<'static>;
    let cases: [(&str, Tamper, ErrorCode); 8] = [
        ("no reply at all", |_, _| None, refusal::XNU_FAILED),
        ("a reply of another type", |_, _| Some(Ok(Reply::Hello(HelloReply::EXPECTED))), refusal::XNU_FAILED),
        ("an unknown error code", |_, _| Some(Err(ErrorCode::service(99))), refusal::XNU_FAILED),
        ("an I/O error", |_, _| Some(Err(upcall_refusal::IO)), refusal::XNU_FAILED),
        ("a short count", |u, r| match (u, r) {
            (Request::WriteObject(_) | Request::ReadObject(_), Ok(Reply::Count(Count { len }))) => Some(Ok(Reply::Count(Count { len: len - 1 }))),
            (_, r) => Some(r),
        }, refusal::XNU_FAILED),
        ("a count beyond the request", |u, r| match (u, r) {
            (Request::WriteObject(_) | Request::ReadObject(_), _) => Some(Ok(Reply::Count(Count { len: u32::MAX }))),
            (_, r) => Some(r),
        }, refusal::XNU_FAILED),
        ("a size out of range", |u, r| match u {
            Request::ObjectSize(_) => Some(Ok(Reply::ObjectSize(ObjectSize { size: u64::MAX }))),
            _ => Some(r),
        }, refusal::TAMPERED),
        ("a size too small", |u, r| match u {
            Request::ObjectSize(_) => Some(Ok(Reply::ObjectSize(ObjectSize { size: 3 }))),
            _ => Some(r),
        }, refusal::TAMPERED),
    ];
    for (what, tamper, expected) in cases {
        let mut w = World::new();
        w.put(b"k", b"kept").unwrap();
        let (_, got) = w.run_with(Request::Get(Key { key: b"k" }), tamper);
        assert_eq!(got, Err(expected), "get with {what}");
        assert_eq!(w.get(b"k").as_deref(), Ok(&b"kept"[..]), "{what}: a failed get changes nothing");
        if what.contains("size") {
            continue;
        }
        // A put that XNU fails commits nothing; what XNU's disk then holds
        // (emptied by the open, or the blob XNU said it did not write) is
        // refused, never taken for the value.
        w.buffers.storage_in[..3].copy_from_slice(b"new");
        let (_, put) = w.run_with(Request::Put(Put { len: 3, key: b"k" }), tamper);
        assert_eq!(put, Err(expected), "put with {what}");
        let after = w.get(b"k");
        assert!(
            [Ok(b"kept".to_vec()), Err(refusal::TAMPERED), Err(refusal::ROLLED_BACK)].contains(&after),
            "{what}: {after:?}"
        );
    }
}

#[test]
fn a_failed_write_never_reuses_a_version() {
    let mut w = World::new();
    w.put(b"k", b"v1").unwrap();
    w.buffers.storage_in[..2].copy_from_slice(b"v2");
    let (_, failed) = w.run_with(Request::Put(Put { len: 2, key: b"k" }), |u, r| match u {
        Request::WriteObject(_) => Some(Err(upcall_refusal::NO_SPACE)),
        _ => Some(r),
    });
    assert_eq!(failed, Err(refusal::XNU_FAILED));
    assert_eq!(w.put(b"k", b"v3"), Ok(3), "version 2 was sealed once already");
}

#[test]
fn a_new_request_abandons_a_waiting_one() {
    let mut w = World::new();
    w.put(b"k", b"v").unwrap();
    let first = w.storage.request(&Request::Get(Key { key: b"k" }));
    assert!(matches!(first, Step::Upcall(Request::Open(_))));
    assert_eq!(w.get(b"k").as_deref(), Ok(&b"v"[..]));
    assert_eq!(w.storage.upcall_reply(Some(Ok(Reply::Done(Done))), &mut w.buffers), None, "nothing waits now");
}

#[test]
fn limits_and_missing_keys_are_refused() {
    let mut w = World::new();
    let too_long = Request::Put(Put { len: VALUE_MAX as u32 + 1, key: b"k" });
    assert_eq!(w.storage.request(&too_long), Step::Answer(MethodId::Put, Err(refusal::TOO_LARGE)));
    let mut keyless = Storage::new(FakeFlash::new());
    assert_eq!(keyless.request(&Request::Get(Key { key: b"k" })), Step::Answer(MethodId::Get, Err(refusal::NO_KEY)));
    assert_eq!(w.storage.request(&Request::Hello(tightbeam::hello::Hello)), Step::Answer(MethodId::Hello, Err(ErrorCode::INTERNAL)));
}

#[test]
fn each_step_waits_on_its_upcall() {
    let mut w = World::new();
    assert_eq!(w.storage.waiting_on(), None);
    w.buffers.storage_in[..1].copy_from_slice(b"x");
    let step = w.storage.request(&Request::Put(Put { len: 1, key: b"k" }));
    assert_eq!(step, Step::Upcall(Request::CallerIn(Count { len: 1 })), "the value comes in first");
    assert_eq!(w.storage.waiting_on(), Some(MethodId::CallerIn));
    let step = w.storage.upcall_reply(Some(Ok(Reply::Count(Count { len: 1 }))), &mut w.buffers);
    assert!(matches!(step, Some(Step::Upcall(Request::Open(ObjectName { flags, .. }))) if flags == OPEN_CREATE | OPEN_TRUNCATE));
    assert_eq!(w.storage.waiting_on(), Some(MethodId::Open));
}

#[test]
fn the_callers_data_moves_exactly_or_the_request_fails() {
    let mut w = World::new();
    w.put(b"k", b"kept").unwrap();
    type Tamper = fn(&Request<'_>, Result<Reply<'static>, ErrorCode>) -> UpcallReply<'static>;
    let short: Tamper = |u, r| match u {
        Request::CallerIn(Count { len }) | Request::CallerOut(Count { len }) => Some(Ok(Reply::Count(Count { len: len - 1 }))),
        _ => Some(r),
    };
    let refused: Tamper = |u, r| match u {
        Request::CallerIn(_) | Request::CallerOut(_) => Some(Err(upcall_refusal::CALLER_BUFFER)),
        _ => Some(r),
    };
    for (tamper, expected) in [(short, refusal::XNU_FAILED), (refused, refusal::SHORT_BUFFER)] {
        w.buffers.storage_in[..3].copy_from_slice(b"new");
        assert_eq!(w.run_with(Request::Put(Put { len: 3, key: b"k" }), tamper).1, Err(expected));
        assert_eq!(w.run_with(Request::Get(Key { key: b"k" }), tamper).1, Err(expected));
        assert_eq!(w.get(b"k").as_deref(), Ok(&b"kept"[..]), "nothing was stored, and the value is intact");
    }
}
