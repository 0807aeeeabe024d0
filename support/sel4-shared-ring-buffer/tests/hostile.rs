//! A peer that writes garbage: the rings must report errors and never touch
//! memory outside their slots.

mod common;

use common::{Mem, READ_INDEX, WRITE_INDEX};
use proptest::prelude::*;
use sel4_shared_ring_buffer::{
    ring_region_len, Client, Descriptor, Error, IndexKind, RingBuffers, RingConsumer, RingOptions,
    RingProducer, Server, HEADER_SIZE,
};

fn options(capacity: u32, first_index: u32) -> RingOptions {
    RingOptions {
        capacity: Some(capacity),
        first_index,
    }
}

#[test]
fn consumer_rejects_write_index_too_far_ahead() {
    let mem = Mem::new(4096);
    let len = ring_region_len(8).unwrap();
    let mut c = RingConsumer::init(mem.region(0, len), options(8, 100)).unwrap();
    for seen in [109, 100 + 1000, u32::MAX, 99, 0] {
        mem.write_u32(WRITE_INDEX, seen);
        let expected = Err(Error::PeerIndexCorrupt {
            which: IndexKind::Write,
            seen,
            expected_first: 100,
            expected_last: 108,
        });
        assert_eq!(c.dequeue(), expected);
        assert_eq!(c.len(), expected.map(|_| 0));
        // Nothing consumed, nothing published.
        assert_eq!(c.read_index(), 100);
        assert_eq!(mem.read_u32(READ_INDEX), 100);
    }
    // A sane index again: the ring works again.
    mem.write_slot(0, 100 % 8, Descriptor::new(1, 2, 3, 4));
    mem.write_u32(WRITE_INDEX, 101);
    assert_eq!(c.dequeue(), Ok(Some(Descriptor::new(1, 2, 3, 4))));
    assert_eq!(c.dequeue(), Ok(None));
}

#[test]
fn consumer_takes_a_full_ring_of_garbage_in_bounds() {
    let mem = Mem::new(4096);
    let len = ring_region_len(4).unwrap();
    // Garbage everywhere in the ring, then a write index exactly `capacity`
    // ahead: legal, so all four garbage descriptors come out, from the slots.
    for i in HEADER_SIZE..len {
        mem.write_u8(i, (i * 7 + 3) as u8);
    }
    let first = u32::MAX - 1;
    let mut c = RingConsumer::init(mem.region(0, len), options(4, first)).unwrap();
    mem.write_u32(WRITE_INDEX, first.wrapping_add(4));
    for k in 0..4u32 {
        let slot = (first.wrapping_add(k) & 3) as usize;
        assert_eq!(c.dequeue(), Ok(Some(mem.read_slot(0, slot))));
    }
    assert_eq!(c.dequeue(), Ok(None));
}

#[test]
fn producer_rejects_bad_read_index_and_writes_nothing() {
    let mem = Mem::new(4096);
    let len = ring_region_len(8).unwrap();
    let mut p = RingProducer::init(mem.region(0, len), options(8, 0)).unwrap();
    for i in 0..3 {
        p.enqueue(Descriptor::new(i, 1, 0, i)).unwrap();
    }
    // Valid read indices are 3-8 ..= 3 (mod 2^32); 4 is "ahead of us".
    for seen in [4, 1000, u32::MAX - 5] {
        mem.write_u32(READ_INDEX, seen);
        assert_eq!(
            p.enqueue(Descriptor::new(9, 9, 9, 9)),
            Err(Error::PeerIndexCorrupt {
                which: IndexKind::Read,
                seen,
                expected_first: 3u32.wrapping_sub(8),
                expected_last: 3,
            })
        );
        assert_eq!(mem.read_slot(0, 3), Descriptor::default());
        assert_eq!(mem.read_u32(WRITE_INDEX), 3);
        assert_eq!(p.write_index(), 3);
    }
    // Read index "behind" but within capacity is legal (ring looks fuller).
    mem.write_u32(READ_INDEX, u32::MAX - 4);
    assert_eq!(p.len(), Ok(8));
    assert_eq!(p.enqueue(Descriptor::default()), Err(Error::Full));
}

#[test]
fn own_index_corrupted_by_peer_is_ignored() {
    let mem = Mem::new(4096);
    let len = ring_region_len(4).unwrap();
    let mut p = RingProducer::init(mem.region(0, len), options(4, 0)).unwrap();
    let mut c = RingConsumer::attach(mem.region(0, len), options(4, 0)).unwrap();
    p.enqueue(Descriptor::new(0, 1, 0, 10)).unwrap();
    // The consumer scribbles on the producer's index; the producer does not
    // read it back and simply republishes its own value on the next enqueue.
    mem.write_u32(WRITE_INDEX, 0xdead_beef);
    p.enqueue(Descriptor::new(0, 1, 0, 11)).unwrap();
    assert_eq!(mem.read_u32(WRITE_INDEX), 2);
    assert_eq!(c.dequeue().unwrap().unwrap().cookie, 10);
    // Likewise the producer scribbling on the consumer's index.
    mem.write_u32(READ_INDEX, 0x1234_5678);
    assert_eq!(c.dequeue().unwrap().unwrap().cookie, 11);
    assert_eq!(mem.read_u32(READ_INDEX), 2);
    assert_eq!(c.read_index(), 2);
}

#[test]
fn pair_rejects_descriptor_outside_data_region() {
    let mem = Mem::new(8192);
    let len = ring_region_len(8).unwrap();
    let free_p = RingProducer::init(mem.region(0, len), options(8, 0)).unwrap();
    let used_c = RingConsumer::init(mem.region(2048, len), options(8, 0)).unwrap();
    let free_c = RingConsumer::attach(mem.region(0, len), options(8, 0)).unwrap();
    let used_p = RingProducer::attach(mem.region(2048, len), options(8, 0)).unwrap();
    let mut server = RingBuffers::<Server, _>::new(free_p, used_c, 1024, || {});
    let mut client = RingBuffers::<Client, _>::new(free_c, used_p, 1024, || {});

    // Our own bad descriptor is refused before it reaches the ring.
    let bad = Descriptor::new(1000, 100, 0, 1);
    let oob = Error::DescriptorOutOfBounds {
        offset: 1000,
        len: 100,
        data_len: 1024,
    };
    assert_eq!(client.enqueue(bad), Err(oob));
    assert_eq!(client.outgoing().len(), Ok(0));

    // The hostile client writes one straight into the used ring.
    mem.write_slot(2048, 0, bad);
    mem.write_slot(2048, 1, Descriptor::new(u64::MAX, u32::MAX, 0, 2));
    mem.write_slot(2048, 2, Descriptor::new(512, 512, 0, 3));
    mem.write_u32(2048 + WRITE_INDEX, 3);
    assert_eq!(server.dequeue(), Err(oob));
    assert_eq!(
        server.dequeue(),
        Err(Error::DescriptorOutOfBounds {
            offset: u64::MAX,
            len: u32::MAX,
            data_len: 1024
        })
    );
    // Bad descriptors were consumed; the next good one comes through.
    assert_eq!(server.dequeue(), Ok(Some(Descriptor::new(512, 512, 0, 3))));
    assert_eq!(server.dequeue(), Ok(None));
}

/// What a hostile producer can do between our dequeues.
#[derive(Clone, Debug)]
enum ConsumerOp {
    Dequeue,
    Poke {
        at: usize,
        byte: u8,
    },
    /// Set the write index `ahead` past our read index (maybe too far).
    SetWrite {
        ahead: u32,
    },
    SetWriteRaw(u32),
}

fn consumer_op() -> impl Strategy<Value = ConsumerOp> {
    prop_oneof![
        4 => Just(ConsumerOp::Dequeue),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ConsumerOp::Poke { at, byte }),
        2 => (0u32..40).prop_map(|ahead| ConsumerOp::SetWrite { ahead }),
        1 => any::<u32>().prop_map(ConsumerOp::SetWriteRaw),
    ]
}

/// What a hostile consumer can do between our enqueues.
#[derive(Clone, Debug)]
enum ProducerOp {
    Enqueue(u64),
    Poke {
        at: usize,
        byte: u8,
    },
    /// Set the read index `behind` our write index (maybe too far).
    SetRead {
        behind: u32,
    },
    SetReadRaw(u32),
}

fn producer_op() -> impl Strategy<Value = ProducerOp> {
    prop_oneof![
        4 => any::<u64>().prop_map(ProducerOp::Enqueue),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ProducerOp::Poke { at, byte }),
        2 => (0u32..40).prop_map(|behind| ProducerOp::SetRead { behind }),
        1 => any::<u32>().prop_map(ProducerOp::SetReadRaw),
    ]
}

const GUARD: usize = 64;
const GUARD_BYTE: u8 = 0xa5;

/// A ring region of random size filled with `fill`, followed by guard bytes.
fn hostile_mem(len: usize, fill: &[u8]) -> Mem {
    let mem = Mem::new(len + GUARD);
    for i in 0..len {
        mem.write_u8(i, fill[i % fill.len()]);
    }
    for i in len..len + GUARD {
        mem.write_u8(i, GUARD_BYTE);
    }
    mem
}

fn guard_intact(mem: &Mem, len: usize) -> bool {
    (len..len + GUARD).all(|i| mem.read_u8(i) == GUARD_BYTE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the peer writes, the consumer never panics, only reports
    /// descriptors copied from slot `read & (capacity - 1)`, and errors
    /// exactly when the write index is out of range.
    #[test]
    fn consumer_survives_arbitrary_memory(
        len in 128usize..1024,
        fill in proptest::collection::vec(any::<u8>(), 1..1024),
        first_index in any::<u32>(),
        ops in proptest::collection::vec(consumer_op(), 0..64),
    ) {
        let mem = hostile_mem(len, &fill);
        let Ok(mut c) = RingConsumer::attach(mem.region(0, len), options_for(len, first_index)) else {
            prop_assert!(len < HEADER_SIZE + 24);
            return Ok(());
        };
        let cap = c.capacity();
        prop_assert!(cap.is_power_of_two() && ring_region_len(cap).unwrap() <= len);
        for op in ops {
            match op {
                ConsumerOp::Poke { at, byte } => mem.write_u8(at % len, byte),
                ConsumerOp::SetWrite { ahead } =>
                    mem.write_u32(WRITE_INDEX, c.read_index().wrapping_add(ahead)),
                ConsumerOp::SetWriteRaw(v) => mem.write_u32(WRITE_INDEX, v),
                ConsumerOp::Dequeue => {
                    let read = c.read_index();
                    let write = mem.read_u32(WRITE_INDEX);
                    let slot = (read & (cap - 1)) as usize;
                    prop_assert!(slot < cap as usize);
                    let in_slot = mem.read_slot(0, slot);
                    match c.dequeue() {
                        Ok(Some(d)) => {
                            prop_assert!(write.wrapping_sub(read) >= 1);
                            prop_assert!(write.wrapping_sub(read) <= cap);
                            prop_assert_eq!(d, in_slot);
                            prop_assert_eq!(c.read_index(), read.wrapping_add(1));
                            prop_assert_eq!(mem.read_u32(READ_INDEX), read.wrapping_add(1));
                        }
                        Ok(None) => {
                            prop_assert_eq!(write, read);
                            prop_assert_eq!(c.read_index(), read);
                        }
                        Err(Error::PeerIndexCorrupt { which, seen, .. }) => {
                            prop_assert_eq!(which, IndexKind::Write);
                            prop_assert_eq!(seen, write);
                            prop_assert!(write.wrapping_sub(read) > cap);
                            prop_assert_eq!(c.read_index(), read);
                        }
                        Err(e) => prop_assert!(false, "unexpected error {}", e),
                    }
                }
            }
        }
        prop_assert!(guard_intact(&mem, len));
    }

    /// Whatever the peer writes, the producer never panics and each enqueue
    /// changes at most its one slot and the write index.
    #[test]
    fn producer_survives_arbitrary_memory(
        len in 128usize..1024,
        fill in proptest::collection::vec(any::<u8>(), 1..1024),
        first_index in any::<u32>(),
        ops in proptest::collection::vec(producer_op(), 0..64),
    ) {
        let mem = hostile_mem(len, &fill);
        let Ok(mut p) = RingProducer::attach(mem.region(0, len), options_for(len, first_index)) else {
            prop_assert!(len < HEADER_SIZE + 24);
            return Ok(());
        };
        let cap = p.capacity();
        for op in ops {
            match op {
                ProducerOp::Poke { at, byte } => mem.write_u8(at % len, byte),
                ProducerOp::SetRead { behind } =>
                    mem.write_u32(READ_INDEX, p.write_index().wrapping_sub(behind)),
                ProducerOp::SetReadRaw(v) => mem.write_u32(READ_INDEX, v),
                ProducerOp::Enqueue(x) => {
                    let before: Vec<u8> = (0..len + GUARD).map(|i| mem.read_u8(i)).collect();
                    let write = p.write_index();
                    let read = mem.read_u32(READ_INDEX);
                    let slot = (write & (cap - 1)) as usize;
                    let d = Descriptor::new(x, x as u32, (x >> 32) as u32, !x);
                    let result = p.enqueue(d);
                    let after: Vec<u8> = (0..len + GUARD).map(|i| mem.read_u8(i)).collect();
                    let slot_bytes = HEADER_SIZE + slot * 24..HEADER_SIZE + slot * 24 + 24;
                    for i in 0..len + GUARD {
                        let may_change = result.is_ok() && (i < 4 || slot_bytes.contains(&i));
                        prop_assert!(may_change || before[i] == after[i], "byte {} changed", i);
                    }
                    match result {
                        Ok(()) => {
                            prop_assert!(write.wrapping_sub(read) < cap);
                            prop_assert_eq!(mem.read_slot(0, slot), d);
                            prop_assert_eq!(mem.read_u32(WRITE_INDEX), write.wrapping_add(1));
                        }
                        Err(Error::Full) => prop_assert_eq!(write.wrapping_sub(read), cap),
                        Err(Error::PeerIndexCorrupt { which, seen, .. }) => {
                            prop_assert_eq!(which, IndexKind::Read);
                            prop_assert_eq!(seen, read);
                            prop_assert!(write.wrapping_sub(read) > cap);
                        }
                        Err(e) => prop_assert!(false, "unexpected error {}", e),
                    }
                }
            }
        }
        prop_assert!(guard_intact(&mem, len));
    }

    /// Through the pair, any descriptor the server accepts lies inside the
    /// data region.
    #[test]
    fn pair_only_returns_in_bounds_descriptors(
        fill in proptest::collection::vec(any::<u8>(), 1..512),
        write_ahead in 0u32..20,
        data_len in 0usize..4096,
    ) {
        let len = ring_region_len(16).unwrap();
        let mem = hostile_mem(2 * len, &fill);
        mem.write_u32(READ_INDEX, 0);
        mem.write_u32(len + WRITE_INDEX, write_ahead);
        mem.write_u32(len + READ_INDEX, 0);
        let free = RingProducer::attach(mem.region(0, len), options(16, 0)).unwrap();
        let used = RingConsumer::attach(mem.region(len, len), options(16, 0)).unwrap();
        let mut server = RingBuffers::<Server, _>::new(free, used, data_len, || {});
        for _ in 0..20 {
            match server.dequeue() {
                Ok(Some(d)) => {
                    let r = d.checked_range(data_len);
                    prop_assert!(r.is_ok());
                    prop_assert!(r.unwrap().end <= data_len);
                }
                Ok(None) => {}
                Err(Error::DescriptorOutOfBounds { .. }) => {}
                Err(Error::PeerIndexCorrupt { .. }) => prop_assert!(write_ahead > 16),
                Err(e) => prop_assert!(false, "unexpected error {}", e),
            }
        }
        prop_assert!(guard_intact(&mem, 2 * len));
    }
}

/// Mostly let the capacity be derived; sometimes ask for a small one.
fn options_for(len: usize, first_index: u32) -> RingOptions {
    RingOptions {
        capacity: if len.is_multiple_of(3) { Some(1) } else { None },
        first_index,
    }
}
