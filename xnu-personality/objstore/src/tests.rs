use super::*;

/// A disk in memory, and the store serving upcalls against it.
struct Rig {
    store: Store,
    disk: Vec<u8>,
    data: Vec<u8>,
    blob_out: Vec<u8>,
    blob_in: Vec<u8>,
    transfers: usize,
    fail_next: bool,
}

impl Rig {
    fn new() -> Self {
        Rig {
            store: Store::new(),
            disk: vec![0; DISK_SECTORS as usize * SECTOR],
            data: vec![0; DATA_BYTES],
            blob_out: vec![0; EXTENT_BYTES],
            blob_in: vec![0; EXTENT_BYTES],
            transfers: 0,
            fail_next: false,
        }
    }

    fn upcall(&mut self, request: Request<'_>) -> Result<Reply<'static>, ErrorCode> {
        let mut action = self.store.serve(&request, &mut self.data, &self.blob_out);
        loop {
            match action {
                Action::Reply(r) => return r,
                Action::Transfer(t) => {
                    self.transfers += 1;
                    let ok = !std::mem::take(&mut self.fail_next);
                    if ok {
                        match t {
                            Transfer::Read { sector, sectors } => {
                                let (at, n) = (sector as usize * SECTOR, sectors as usize * SECTOR);
                                self.data[..n].copy_from_slice(&self.disk[at..at + n]);
                            }
                            Transfer::Write { sector, sectors } => {
                                let (at, n) = (sector as usize * SECTOR, sectors as usize * SECTOR);
                                self.disk[at..at + n].copy_from_slice(&self.data[..n]);
                            }
                        }
                    }
                    action = self.store.io_done(ok, &mut self.data, &self.blob_out, &mut self.blob_in);
                }
            }
        }
    }

    fn open(&mut self, name: &[u8; 32], flags: u32) -> Result<u32, ErrorCode> {
        match self.upcall(Request::Open(ObjectName { flags, name: *name }))? {
            Reply::Opened(Opened { object }) => Ok(object),
            r => panic!("{r:?}"),
        }
    }

    fn write(&mut self, object: u32, bytes: &[u8]) -> Result<u32, ErrorCode> {
        self.blob_out[..bytes.len()].copy_from_slice(bytes);
        match self.upcall(Request::WriteObject(ObjectIo { object, offset: 0, len: bytes.len() as u32 }))? {
            Reply::Count(Count { len }) => Ok(len),
            r => panic!("{r:?}"),
        }
    }

    fn read(&mut self, object: u32, offset: u32, len: u32) -> Result<Vec<u8>, ErrorCode> {
        match self.upcall(Request::ReadObject(ObjectIo { object, offset, len }))? {
            Reply::Count(Count { len }) => Ok(self.blob_in[..len as usize].to_vec()),
            r => panic!("{r:?}"),
        }
    }

    fn size(&mut self, object: u32) -> Result<u64, ErrorCode> {
        match self.upcall(Request::ObjectSize(Object { object }))? {
            Reply::ObjectSize(ObjectSize { size }) => Ok(size),
            r => panic!("{r:?}"),
        }
    }

    /// The same disk, read by a new XNU (a reboot).
    fn rebooted(&self) -> Self {
        Rig { disk: self.disk.clone(), ..Rig::new() }
    }
}

fn name(c: u8) -> [u8; 32] {
    [c; 32]
}

#[test]
fn objects_round_trip_and_persist() {
    let mut r = Rig::new();
    let a = r.open(&name(b'a'), OPEN_CREATE).unwrap();
    let bytes: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    assert_eq!(r.write(a, &bytes), Ok(1000));
    assert_eq!(r.size(a), Ok(1000));
    assert_eq!(r.read(a, 0, 1000), Ok(bytes.clone()));
    assert_eq!(r.read(a, 600, 1000), Ok(bytes[600..].to_vec()), "a read stops at the end");
    let mut after = r.rebooted();
    let again = after.open(&name(b'a'), 0).unwrap();
    assert_eq!(after.size(again), Ok(1000));
    assert_eq!(after.read(again, 0, 2000), Ok(bytes));
}

#[test]
fn open_flags_create_and_truncate() {
    let mut r = Rig::new();
    assert_eq!(r.open(&name(b'b'), 0), Err(upcall_refusal::NOT_FOUND));
    let b = r.open(&name(b'b'), OPEN_CREATE).unwrap();
    r.write(b, b"hello").unwrap();
    assert_eq!(r.open(&name(b'b'), OPEN_CREATE), Ok(b), "an existing object opens as itself");
    assert_eq!(r.size(b), Ok(5));
    assert_eq!(r.open(&name(b'b'), OPEN_TRUNCATE), Ok(b));
    assert_eq!(r.size(b), Ok(0));
}

#[test]
fn remove_frees_the_object() {
    let mut r = Rig::new();
    let c = r.open(&name(b'c'), OPEN_CREATE).unwrap();
    assert_eq!(r.upcall(Request::RemoveObject(ObjectName { flags: 0, name: name(b'c') })), Ok(Reply::Done(Done)));
    assert_eq!(r.size(c), Err(upcall_refusal::NOT_FOUND));
    assert_eq!(r.upcall(Request::RemoveObject(ObjectName { flags: 0, name: name(b'c') })), Err(upcall_refusal::NOT_FOUND));
    assert_eq!(r.rebooted().open(&name(b'c'), 0), Err(upcall_refusal::NOT_FOUND));
}

#[test]
fn the_store_fills_up_and_extents_are_bounded() {
    let mut r = Rig::new();
    let hex = b"0123456789abcdef";
    for i in 0..OBJECTS {
        let mut n = name(b'0');
        n[0] = hex[i / 16];
        n[1] = hex[i % 16];
        r.open(&n, OPEN_CREATE).unwrap();
    }
    assert_eq!(r.open(&name(b'f'), OPEN_CREATE), Err(upcall_refusal::NO_SPACE));
    let first = r.open(&name(b'0'), 0).unwrap();
    assert_eq!(r.write(first, &vec![1; EXTENT_BYTES]), Ok(EXTENT_BYTES as u32));
    r.blob_out = vec![1; EXTENT_BYTES + 1];
    let past = Request::WriteObject(ObjectIo { object: first, offset: 512, len: EXTENT_BYTES as u32 });
    assert_eq!(r.upcall(past), Err(upcall_refusal::NO_SPACE));
    let unaligned = Request::WriteObject(ObjectIo { object: first, offset: 3, len: 1 });
    assert_eq!(r.upcall(unaligned), Err(upcall_refusal::IO));
}

#[test]
fn objects_that_are_not_open_are_refused() {
    let mut r = Rig::new();
    for object in [0, 1, 63, 64, u32::MAX] {
        assert_eq!(r.size(object), Err(upcall_refusal::NOT_FOUND), "object {object}");
        assert_eq!(r.read(object, 0, 1), Err(upcall_refusal::NOT_FOUND));
    }
}

#[test]
fn a_failed_transfer_is_an_io_error_and_the_directory_is_read_again() {
    let mut r = Rig::new();
    let d = r.open(&name(b'd'), OPEN_CREATE).unwrap();
    r.fail_next = true;
    assert_eq!(r.write(d, b"lost"), Err(upcall_refusal::IO));
    let before = r.transfers;
    assert_eq!(r.size(d), Ok(0));
    assert_eq!(r.transfers, before + 1, "the directory was read again");
}

#[test]
fn a_damaged_directory_counts_bad_records_as_free() {
    let mut r = Rig::new();
    let e = r.open(&name(b'e'), OPEN_CREATE).unwrap();
    r.write(e, b"data").unwrap();
    let mut damaged = r.rebooted();
    // Object e's size past its extent, and a record with a non-hex name.
    let at = e as usize * 64 + 32;
    damaged.disk[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    damaged.disk[2 * 64..2 * 64 + 44].copy_from_slice(&[b'Z'; 44]);
    assert_eq!(damaged.open(&name(b'e'), 0), Err(upcall_refusal::NOT_FOUND));
    let mut blank = r.rebooted();
    blank.disk[0] ^= 1;
    assert_eq!(blank.open(&name(b'e'), 0), Err(upcall_refusal::NOT_FOUND), "no header: an empty store");
}

#[test]
fn other_requests_are_not_upcalls() {
    let mut r = Rig::new();
    assert_eq!(r.upcall(Request::Hello(tightbeam::hello::Hello)), Err(ErrorCode::UNKNOWN_METHOD));
}
