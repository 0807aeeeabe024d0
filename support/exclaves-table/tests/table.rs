//! The parser refuses every kind of damage, and the writer's tables look up.

use core::mem::size_of;

use exclaves_table::*;
use proptest::prelude::*;
use zerocopy::{FromBytes, IntoBytes};

fn sample() -> Vec<u8> {
    let mut b = TableBuilder::new();
    b.add_domain("conclave.empty");
    b.add_resource("kernel", "hello", ResourceType::Service, 0, Backing::Channel(3), true);
    b.add_resource("kernel", "mic", ResourceType::Sensor, 1, Backing::Sensor(SensorKind::Mic), true);
    b.add_resource("kernel", "conclave.empty", ResourceType::ConclaveManager, 2, Backing::Channel(6), true);
    b.add_resource("darwin", "echo", ResourceType::Service, 0, Backing::Channel(4), true);
    let inbound = Backing::Memory { vaddr: 0x600_0000, size: 0x1000, perms: BufferPerms::INBOUND };
    b.add_resource("darwin", "echo", ResourceType::SharedMemory, 1, inbound, true);
    let audio = Backing::Memory { vaddr: 0x600_1000, size: 0x2000, perms: BufferPerms::OUTBOUND };
    b.add_resource("darwin", "audio", ResourceType::ArbitratedAudioMemory, 2, audio, true);
    b.add_resource("darwin", "events", ResourceType::Notification, 3, Backing::Channel(5), true);
    b.add_resource("darwin", "old", ResourceType::Service, 4, Backing::Channel(4), false);
    b.add_entitlement("launchd", Entitlements(Entitlements::BOOT | Entitlements::KERNEL_DOMAIN));
    b.add_entitlement("audiod", Entitlements(Entitlements::CONCLAVE_HOST));
    b.finish().expect("the sample is a valid table")
}

type HeaderDamage = (&'static str, fn(&mut Header, u32));
type RecordDamage = (usize, Box<dyn Fn(&mut ResourceRecord)>, TableError);

fn header(blob: &[u8]) -> Header {
    Header::read_from_prefix(blob).expect("a header").0
}

/// Rewrites resource `i` (within the body, so the blob is resealed after).
fn edit_resource(blob: &mut [u8], i: usize, f: impl FnOnce(&mut ResourceRecord)) {
    let at = header(blob).resources.offset as usize + i * size_of::<ResourceRecord>();
    let range = at..at + size_of::<ResourceRecord>();
    let mut r = ResourceRecord::read_from_bytes(&blob[range.clone()]).expect("record");
    f(&mut r);
    blob[range].copy_from_slice(r.as_bytes());
    seal(blob);
}

fn edit_domain(blob: &mut [u8], i: usize, f: impl FnOnce(&mut DomainRecord)) {
    let at = header(blob).domains.offset as usize + i * size_of::<DomainRecord>();
    let range = at..at + size_of::<DomainRecord>();
    let mut d = DomainRecord::read_from_bytes(&blob[range.clone()]).expect("record");
    f(&mut d);
    blob[range].copy_from_slice(d.as_bytes());
    seal(blob);
}

fn edit_header(blob: &mut [u8], f: impl FnOnce(&mut Header)) {
    let mut h = header(blob);
    f(&mut h);
    blob[..size_of::<Header>()].copy_from_slice(h.as_bytes());
}

/// The index of a resource in the sample's sorted resource table.
fn index_of(blob: &[u8], name: &str, kind: ResourceType) -> usize {
    let h = header(blob);
    (0..h.resources.count as usize)
        .find(|&i| {
            let at = h.resources.offset as usize + i * size_of::<ResourceRecord>();
            let r = ResourceRecord::read_from_bytes(&blob[at..at + size_of::<ResourceRecord>()]).expect("record");
            &r.name.bytes[..usize::from(r.name.len)] == name.as_bytes() && r.kind == kind as u32
        })
        .expect("the sample has it")
}

#[test]
fn the_sample_parses_and_looks_up() {
    let blob = sample();
    let t = Table::parse(&blob).expect("parses");
    let names: Vec<&str> = t.domains().map(|d| d.name()).collect();
    assert_eq!(names, ["conclave.empty", "darwin", "kernel"]);
    assert_eq!(t.domain("conclave.empty").expect("empty domain").resources().count(), 0);
    let echo = t.lookup("darwin", "echo", ResourceType::SharedMemory).expect("echo buffer");
    assert_eq!(echo.id, 1);
    assert_eq!(t.lookup("darwin", "echo", ResourceType::Service).map(|r| r.id), Some(0));
    assert_eq!(t.lookup("darwin", "old", ResourceType::Service), None, "not connected");
    assert_eq!(t.lookup("kernel", "echo", ResourceType::Service), None, "other domain");
    assert_eq!(t.lookup("nosuch", "echo", ResourceType::Service), None);
    assert_eq!(t.entitlements("audiod"), Some(Entitlements(Entitlements::CONCLAVE_HOST)));
    assert_eq!(t.entitlements("sh"), None);
    let programs: Vec<&str> = t.entitled_programs().map(|(p, _)| p).collect();
    assert_eq!(programs, ["audiod", "launchd"]);
}

#[test]
fn every_truncation_is_refused() {
    let blob = sample();
    for len in 0..blob.len() {
        let err = Table::parse(&blob[..len]).expect_err("a truncated table is refused");
        if len < size_of::<Header>() {
            assert_eq!(err, TableError::TooShort { len });
        } else {
            assert_eq!(err, TableError::TotalSize { header: blob.len() as u32, actual: len });
        }
    }
}

#[test]
fn a_bad_magic_version_header_size_or_checksum_is_refused() {
    let blob = sample();
    let mut b = blob.clone();
    b[0] ^= 1;
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::BadMagic));
    let mut b = blob.clone();
    edit_header(&mut b, |h| h.version = VERSION + 1);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::Version { found: VERSION + 1 }));
    let mut b = blob.clone();
    edit_header(&mut b, |h| h.header_size = 64);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::HeaderSize { found: 64 }));
    // Any changed byte after the header: the checksum no longer matches.
    for at in size_of::<Header>()..blob.len() {
        let mut b = blob.clone();
        b[at] ^= 0x40;
        assert!(matches!(Table::parse(&b), Err(TableError::Checksum { .. })), "byte {at}");
    }
}

#[test]
fn tables_outside_the_blob_over_the_header_or_overlapping_are_refused() {
    let blob = sample();
    let len = blob.len() as u32;
    let cases: [HeaderDamage; 7] = [
        ("domain", |h, len| h.domains.offset = len),
        ("domain", |h, _| h.domains.offset = 8),
        ("domain", |h, _| h.domains.count = u32::MAX),
        ("resource", |h, _| h.resources.offset = h.domains.offset),
        // One record more reaches into the entitlements, which then overlap it.
        ("entitlement", |h, _| h.resources.count += 1),
        ("entitlement", |h, len| h.entitlements.offset = len - 1),
        ("entitlement", |h, _| h.entitlements.offset = u32::MAX),
    ];
    for (table, damage) in cases {
        let mut b = blob.clone();
        edit_header(&mut b, |h| damage(h, len));
        assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::OutOfBounds { table }));
    }
}

#[test]
fn damaged_records_are_refused_past_the_checksum() {
    let blob = sample();
    let hello = index_of(&blob, "hello", ResourceType::Service);
    let echo_buf = index_of(&blob, "echo", ResourceType::SharedMemory);
    let audio = index_of(&blob, "audio", ResourceType::ArbitratedAudioMemory);
    let mic = index_of(&blob, "mic", ResourceType::Sensor);
    let bad = |index, field, value| TableError::BadValue { table: "resource", index, field, value };
    let resource_cases: Vec<RecordDamage> = vec![
        (hello, Box::new(|r| r.name.len = 128), TableError::BadName { table: "resource", index: hello }),
        (hello, Box::new(|r| r.name.len = 0), TableError::BadName { table: "resource", index: hello }),
        (hello, Box::new(|r| r.name.bytes[100] = b'x'), TableError::BadName { table: "resource", index: hello }),
        (hello, Box::new(|r| r.name.bytes[0] = 0xff), TableError::BadName { table: "resource", index: hello }),
        (hello, Box::new(|r| r.kind = 0), bad(hello, "type", 0)),
        (hello, Box::new(|r| r.kind = 7), bad(hello, "type", 7)),
        (hello, Box::new(|r| r.id = 192), bad(hello, "service id", 192)),
        (hello, Box::new(|r| r.channel = 62), bad(hello, "channel", 62)),
        (hello, Box::new(|r| r.vaddr = 0x1000), bad(hello, "vaddr", 0x1000)),
        (hello, Box::new(|r| r.flags = 2), bad(hello, "flags", 2)),
        (hello, Box::new(|r| r.domain = 0), TableError::WrongDomain { resource: hello, domain: 0 }),
        // The later of the two is reported: mic (id 1) comes after hello.
        (hello, Box::new(|r| r.id = 1), TableError::DuplicateId { resource: mic, id: 1 }),
        (echo_buf, Box::new(|r| r.perms = BufferPerms::WRITE), bad(echo_buf, "perms", 2)),
        (echo_buf, Box::new(|r| r.size = 0), bad(echo_buf, "size", 0)),
        (echo_buf, Box::new(|r| r.size = 0x800), bad(echo_buf, "size", 0x800)),
        (echo_buf, Box::new(|r| r.vaddr = u64::MAX - 0xfff), bad(echo_buf, "size", 0x1000)),
        (echo_buf, Box::new(|r| r.vaddr = 0x10), bad(echo_buf, "vaddr", 0x10)),
        (audio, Box::new(|r| r.perms = BufferPerms::READ | BufferPerms::WRITE), bad(audio, "perms", 3)),
        (mic, Box::new(|r| r.sensor = 5), bad(mic, "sensor", 5)),
        (mic, Box::new(|r| r.channel = 1), bad(mic, "channel", 1)),
    ];
    for (i, damage, expected) in resource_cases {
        let mut b = blob.clone();
        edit_resource(&mut b, i, damage);
        assert_eq!(Table::parse(&b).map(|_| ()), Err(expected));
    }
    // Resources out of (name, type) order: the second of darwin's first.
    let mut b = blob.clone();
    let first = index_of(&blob, "audio", ResourceType::ArbitratedAudioMemory);
    edit_resource(&mut b, first, |r| r.name.bytes[0] = b'z');
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::Unsorted { table: "resource", index: first + 1 }));

    let mut b = blob.clone();
    edit_domain(&mut b, 1, |d| d.name.bytes[0] = b'a');
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::Unsorted { table: "domain", index: 1 }));
    let mut b = blob.clone();
    edit_domain(&mut b, 1, |d| d.resources.first += 1);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::BadRun { domain: 1 }));
    let mut b = blob.clone();
    edit_domain(&mut b, 2, |d| d.resources.count -= 1);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::BadRun { domain: 3 }), "a resource in no domain");
    let mut b = blob.clone();
    edit_domain(&mut b, 2, |d| d.resources.count = u32::MAX);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::BadRun { domain: 2 }));
}

#[test]
fn damaged_entitlements_are_refused() {
    let blob = sample();
    let at = header(&blob).entitlements.offset as usize;
    let size = size_of::<EntitlementRecord>();
    let mut b = blob.clone();
    b[at + 128] = 0x80; // audiod's flags: an unknown bit
    seal(&mut b);
    let expected = TableError::BadValue { table: "entitlement", index: 0, field: "flags", value: 0x80 };
    assert_eq!(Table::parse(&b).map(|_| ()), Err(expected));
    let mut b = blob.clone();
    b[at + size + 1] = b'a'; // "launchd" -> "aaunchd", before "audiod"
    seal(&mut b);
    assert_eq!(Table::parse(&b).map(|_| ()), Err(TableError::Unsorted { table: "entitlement", index: 1 }));
}

#[test]
fn the_writer_refuses_what_the_parser_would() {
    let mut b = TableBuilder::new();
    b.add_resource("darwin", "echo", ResourceType::Service, 0, Backing::Channel(4), true);
    b.add_resource("darwin", "echo", ResourceType::Service, 1, Backing::Channel(4), true);
    assert_eq!(b.finish(), Err(WriteError::Refused(TableError::Unsorted { table: "resource", index: 1 })));
    let mut b = TableBuilder::new();
    b.add_resource("darwin", "echo", ResourceType::Service, 192, Backing::Channel(4), true);
    let refused = TableError::BadValue { table: "resource", index: 0, field: "service id", value: 192 };
    assert_eq!(b.finish(), Err(WriteError::Refused(refused)));
    let mut b = TableBuilder::new();
    b.add_entitlement(&"p".repeat(128), Entitlements(0));
    assert_eq!(b.finish(), Err(WriteError::BadName("p".repeat(128))));
    let mut b = TableBuilder::new();
    b.add_domain(&"d".repeat(127));
    assert!(b.finish().is_ok(), "127 bytes is the longest name");
}

proptest! {
    #[test]
    fn any_bytes_are_refused_or_parsed_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Table::parse(&bytes);
        let mut sealed = bytes.clone();
        seal(&mut sealed);
        if let Ok(t) = Table::parse(&sealed) {
            for d in t.domains() {
                prop_assert!(d.resources().all(|r| r.domain == d.name()));
            }
        }
    }

    #[test]
    fn a_damaged_sample_never_panics_and_what_parses_looks_up(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut blob = sample();
        for (at, byte) in edits {
            let at = at % blob.len();
            blob[at] = byte;
        }
        seal(&mut blob);
        if let Ok(t) = Table::parse(&blob) {
            for d in t.domains() {
                for r in d.resources() {
                    let found = t.lookup(d.name(), r.name, r.kind);
                    prop_assert_eq!(found, r.connected.then_some(r));
                }
            }
        }
    }
}
