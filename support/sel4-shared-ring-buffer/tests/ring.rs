//! Single-threaded behaviour of one ring: round trips, Full, wrap-around,
//! setup and sizing errors.

mod common;

use common::{Mem, READ_INDEX, WRITE_INDEX};
use sel4_shared_ring_buffer::{
    ring_region_len, Descriptor, Error, RingConsumer, RingOptions, RingProducer, SharedRegion,
};
use std::ptr::NonNull;

fn desc(i: u64) -> Descriptor {
    Descriptor::new(i * 64, 64, i as u32 ^ 0x55, 1000 + i)
}

/// Producer (init) and consumer (attach) over one ring of `capacity` slots.
fn ring(mem: &Mem, capacity: u32, first_index: u32) -> (RingProducer, RingConsumer) {
    let len = ring_region_len(capacity).unwrap();
    let options = RingOptions {
        capacity: Some(capacity),
        first_index,
    };
    // Two regions over the same bytes, as the two PDs would each have.
    let p = RingProducer::init(mem.region(0, len), options).unwrap();
    let c = RingConsumer::attach(mem.region(0, len), options).unwrap();
    (p, c)
}

#[test]
fn round_trip_single() {
    let mem = Mem::new(4096);
    let (mut p, mut c) = ring(&mem, 8, 0);
    assert_eq!(c.dequeue(), Ok(None));
    for i in 0..20 {
        p.enqueue(desc(i)).unwrap();
        assert_eq!(mem.read_u32(WRITE_INDEX), i as u32 + 1);
        assert_eq!(c.len(), Ok(1));
        assert_eq!(c.dequeue(), Ok(Some(desc(i))));
        assert_eq!(mem.read_u32(READ_INDEX), i as u32 + 1);
        assert_eq!(c.dequeue(), Ok(None));
        assert_eq!(p.is_empty(), Ok(true));
    }
}

#[test]
fn fill_to_capacity_then_full() {
    let mem = Mem::new(4096);
    let (mut p, mut c) = ring(&mem, 4, 0);
    for i in 0..4 {
        assert_eq!(p.free_slots(), Ok(4 - i as u32));
        p.enqueue(desc(i)).unwrap();
    }
    assert_eq!(p.free_slots(), Ok(0));
    assert_eq!(p.enqueue(desc(99)), Err(Error::Full));
    // A refused enqueue changes nothing.
    assert_eq!(mem.read_u32(WRITE_INDEX), 4);
    assert_eq!(c.len(), Ok(4));
    assert_eq!(c.dequeue(), Ok(Some(desc(0))));
    p.enqueue(desc(4)).unwrap();
    assert_eq!(p.enqueue(desc(99)), Err(Error::Full));
    for i in 1..5 {
        assert_eq!(c.dequeue(), Ok(Some(desc(i))));
    }
    assert_eq!(c.dequeue(), Ok(None));
    assert_eq!(c.is_empty(), Ok(true));
}

#[test]
fn indices_wrap_around_u32() {
    let mem = Mem::new(4096);
    let first = u32::MAX - 5;
    let (mut p, mut c) = ring(&mem, 8, first);
    assert_eq!(mem.read_u32(WRITE_INDEX), first);
    assert_eq!(mem.read_u32(READ_INDEX), first);
    let mut next_in = 0u64;
    let mut next_out = 0u64;
    // Uneven batches so the ring is at varying fill levels as it wraps.
    for batch in [3u64, 8, 1, 7, 5, 8, 2] {
        for _ in 0..batch {
            p.enqueue(desc(next_in)).unwrap();
            next_in += 1;
        }
        if batch == 8 {
            assert_eq!(p.enqueue(desc(0)), Err(Error::Full));
        }
        while let Some(d) = c.dequeue().unwrap() {
            assert_eq!(d, desc(next_out));
            next_out += 1;
        }
    }
    assert_eq!(next_out, next_in);
    let end = first.wrapping_add(next_in as u32);
    assert!(end < first, "indices should have wrapped");
    assert_eq!(p.write_index(), end);
    assert_eq!(c.read_index(), end);
    assert_eq!(mem.read_u32(WRITE_INDEX), end);
    assert_eq!(mem.read_u32(READ_INDEX), end);
}

#[test]
fn full_exactly_across_wrap() {
    let mem = Mem::new(4096);
    let (mut p, mut c) = ring(&mem, 4, u32::MAX - 1);
    for i in 0..4 {
        p.enqueue(desc(i)).unwrap();
    }
    assert_eq!(p.enqueue(desc(9)), Err(Error::Full));
    assert_eq!(c.len(), Ok(4));
    for i in 0..4 {
        assert_eq!(c.dequeue(), Ok(Some(desc(i))));
    }
    assert_eq!(c.dequeue(), Ok(None));
}

#[test]
fn capacity_derived_from_region() {
    let mem = Mem::new(4096);
    let p = RingProducer::init(mem.region(0, 4096), RingOptions::default()).unwrap();
    assert_eq!(p.capacity(), 128);
    let c = RingConsumer::attach(mem.region(0, 128 + 3 * 24), RingOptions::default()).unwrap();
    assert_eq!(c.capacity(), 2);
    // A smaller explicit capacity in a big region is fine.
    let options = RingOptions {
        capacity: Some(16),
        first_index: 0,
    };
    assert_eq!(
        RingConsumer::attach(mem.region(0, 4096), options)
            .unwrap()
            .capacity(),
        16
    );
}

#[test]
fn setup_errors() {
    let mem = Mem::new(4096);
    assert_eq!(
        RingProducer::init(mem.region(0, 100), RingOptions::default()).unwrap_err(),
        Error::RegionTooSmall {
            len: 100,
            needed: 152
        }
    );
    assert_eq!(
        RingConsumer::attach(mem.region(0, 151), RingOptions::default()).unwrap_err(),
        Error::RegionTooSmall {
            len: 151,
            needed: 152
        }
    );
    for capacity in [0, 3, 12, u32::MAX] {
        let options = RingOptions {
            capacity: Some(capacity),
            first_index: 0,
        };
        assert_eq!(
            RingProducer::init(mem.region(0, 4096), options).unwrap_err(),
            Error::BadCapacity { capacity }
        );
    }
    let options = RingOptions {
        capacity: Some(256),
        first_index: 0,
    };
    assert_eq!(
        RingProducer::init(mem.region(0, 4096), options).unwrap_err(),
        Error::RegionTooSmall {
            len: 4096,
            needed: 128 + 256 * 24
        }
    );
    let odd = NonNull::new(mem.ptr(4)).unwrap();
    let err = unsafe { SharedRegion::new(odd, 1024) }.unwrap_err();
    assert_eq!(
        err,
        Error::Misaligned {
            addr: mem.ptr(4) as usize,
            required: 8
        }
    );
}

#[test]
fn attach_writes_nothing_init_resets() {
    let mem = Mem::new(4096);
    mem.write_u32(WRITE_INDEX, 77);
    mem.write_u32(READ_INDEX, 66);
    let _c = RingConsumer::attach(mem.region(0, 4096), RingOptions::default()).unwrap();
    let _p = RingProducer::attach(mem.region(0, 4096), RingOptions::default()).unwrap();
    assert_eq!(
        (mem.read_u32(WRITE_INDEX), mem.read_u32(READ_INDEX)),
        (77, 66)
    );
    let _c = RingConsumer::init(mem.region(0, 4096), RingOptions::default()).unwrap();
    assert_eq!(
        (mem.read_u32(WRITE_INDEX), mem.read_u32(READ_INDEX)),
        (0, 0)
    );
}

#[test]
fn checked_range() {
    let d = |offset, len| Descriptor::new(offset, len, 0, 0);
    assert_eq!(d(0, 0).checked_range(0), Ok(0..0));
    assert_eq!(d(100, 28).checked_range(128), Ok(100..128));
    assert_eq!(d(128, 0).checked_range(128), Ok(128..128));
    let oob = |offset, len, data_len| Error::DescriptorOutOfBounds {
        offset,
        len,
        data_len,
    };
    assert_eq!(d(100, 29).checked_range(128), Err(oob(100, 29, 128)));
    assert_eq!(d(129, 0).checked_range(128), Err(oob(129, 0, 128)));
    assert_eq!(
        d(u64::MAX, 1).checked_range(usize::MAX),
        Err(oob(u64::MAX, 1, usize::MAX))
    );
    assert_eq!(
        d(u64::MAX - 3, u32::MAX).checked_range(128),
        Err(oob(u64::MAX - 3, u32::MAX, 128))
    );
}

#[test]
fn error_messages_name_the_values() {
    let msg = Error::PeerIndexCorrupt {
        which: sel4_shared_ring_buffer::IndexKind::Write,
        seen: 4242,
        expected_first: 10,
        expected_last: 18,
    }
    .to_string();
    assert!(
        msg.contains("write index") && msg.contains("4242") && msg.contains("10..=18"),
        "{msg}"
    );
    let msg = Error::DescriptorOutOfBounds {
        offset: 0x1000,
        len: 0x20,
        data_len: 0x800,
    }
    .to_string();
    assert!(
        msg.contains("0x1000") && msg.contains("0x20") && msg.contains("0x800"),
        "{msg}"
    );
    let msg = Error::RegionTooSmall {
        len: 100,
        needed: 152,
    }
    .to_string();
    assert!(msg.contains("0x64") && msg.contains("0x98"), "{msg}");
    assert!(Error::BadCapacity { capacity: 3 }
        .to_string()
        .contains(" 3 "));
    assert_eq!(Error::Full.to_string(), "ring is full");
}
