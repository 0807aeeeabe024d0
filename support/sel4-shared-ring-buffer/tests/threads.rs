//! Client and server on two threads passing buffers through a free/used
//! ring pair carved out of one shared block.

mod common;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::Mem;
use sel4_shared_ring_buffer::{
    ring_region_len, Client, Descriptor, RingBuffers, RingConsumer, RingOptions, RingProducer,
    Server,
};

const MESSAGES: u64 = 10_000;
const BUFFERS: usize = 32;
const BUF_SIZE: usize = 64;
const RING_SPACE: usize = 2048;
const FREE_RING: usize = 0;
const USED_RING: usize = RING_SPACE;
const DATA: usize = 2 * RING_SPACE;
const DATA_LEN: usize = BUFFERS * BUF_SIZE;

/// Payload the client writes for `cookie`: its length varies, every byte is
/// derived from the cookie so the server can check it.
fn payload_len(cookie: u64) -> usize {
    8 + (cookie as usize % (BUF_SIZE - 8))
}

fn payload_byte(cookie: u64, i: usize) -> u8 {
    (cookie as u8).wrapping_mul(31).wrapping_add(i as u8)
}

/// Who holds each buffer, so a buffer that shows up twice is caught.
const WITH_SERVER: u8 = 0;
const WITH_CLIENT: u8 = 1;

fn spin(deadline: Instant, what: &str) {
    assert!(Instant::now() < deadline, "timed out: {what}");
    thread::yield_now();
}

#[test]
fn two_threads_pass_10k_descriptors() {
    let mem = Arc::new(Mem::new(DATA + DATA_LEN));
    let options = RingOptions::default();
    let len = RING_SPACE;
    assert!(ring_region_len(64).unwrap() <= len);

    // The server sets up both rings before the client attaches.
    let free_p = RingProducer::init(mem.region(FREE_RING, len), options).unwrap();
    let used_c = RingConsumer::init(mem.region(USED_RING, len), options).unwrap();
    let free_c = RingConsumer::attach(mem.region(FREE_RING, len), options).unwrap();
    let used_p = RingProducer::attach(mem.region(USED_RING, len), options).unwrap();

    let client_notifies = Arc::new(AtomicUsize::new(0));
    let server_notifies = Arc::new(AtomicUsize::new(0));
    let n = client_notifies.clone();
    let mut client = RingBuffers::<Client, _>::new(free_c, used_p, DATA_LEN, move || {
        n.fetch_add(1, Ordering::Relaxed);
    });
    let n = server_notifies.clone();
    let mut server = RingBuffers::<Server, _>::new(free_p, used_c, DATA_LEN, move || {
        n.fetch_add(1, Ordering::Relaxed);
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let owner: Arc<[AtomicU8; BUFFERS]> =
        Arc::new(std::array::from_fn(|_| AtomicU8::new(WITH_SERVER)));
    let server_owner = owner.clone();

    let server_mem = mem.clone();
    let server_thread = thread::spawn(move || {
        let mem = server_mem;
        for b in 0..BUFFERS {
            server
                .enqueue(Descriptor::new(
                    (b * BUF_SIZE) as u64,
                    BUF_SIZE as u32,
                    0,
                    0,
                ))
                .unwrap();
        }
        server.notify_if_needed();
        let mut expected = 0u64;
        while expected < MESSAGES {
            let mut got_any = false;
            while let Some(d) = server.dequeue().unwrap() {
                got_any = true;
                assert_eq!(d.cookie, expected, "cookies out of order");
                assert_eq!(d.flags, 0xc0de);
                assert_eq!(d.len as usize, payload_len(d.cookie));
                let start = DATA + d.checked_range(DATA_LEN).unwrap().start;
                let b = d.offset as usize / BUF_SIZE;
                let prev = server_owner[b].swap(WITH_SERVER, Ordering::Relaxed);
                assert_eq!(prev, WITH_CLIENT, "buffer {b} came back twice");
                for i in 0..d.len as usize {
                    assert_eq!(mem.read_u8(start + i), payload_byte(d.cookie, i));
                }
                // Back to the free ring, full size again. It cannot be full:
                // there are fewer buffers than slots.
                let back = Descriptor::new(d.offset, BUF_SIZE as u32, 0, 0);
                server.enqueue(back).unwrap();
                expected += 1;
            }
            if got_any {
                server.notify_if_needed();
            } else {
                spin(deadline, "server waiting for used buffers");
            }
        }
    });

    let client_mem = mem.clone();
    let client_thread = thread::spawn(move || {
        let mem = client_mem;
        let mut next = 0u64;
        // Free-ring arrivals after the last send: every buffer must come home.
        let mut returned = Vec::new();
        while returned.len() < BUFFERS {
            let Some(d) = client.dequeue().unwrap() else {
                client.notify_if_needed();
                spin(deadline, "client waiting for free buffers");
                continue;
            };
            assert_eq!(d.len as usize, BUF_SIZE);
            assert_eq!(d.offset as usize % BUF_SIZE, 0);
            let b = d.offset as usize / BUF_SIZE;
            let prev = owner[b].swap(WITH_CLIENT, Ordering::Relaxed);
            assert_eq!(prev, WITH_SERVER, "buffer {b} handed out twice");
            if next == MESSAGES {
                returned.push(b);
                continue;
            }
            let start = DATA + d.offset as usize;
            let plen = payload_len(next);
            for i in 0..plen {
                mem.write_u8(start + i, payload_byte(next, i));
            }
            client
                .enqueue(Descriptor::new(d.offset, plen as u32, 0xc0de, next))
                .unwrap();
            next += 1;
        }
        client.notify_if_needed();
        returned.sort_unstable();
        assert_eq!(returned, (0..BUFFERS).collect::<Vec<_>>());
        assert_eq!(client.incoming().len(), Ok(0));
        assert_eq!(client.outgoing().len(), Ok(0));
    });

    client_thread.join().unwrap();
    server_thread.join().unwrap();
    // At most one notification per batch, and at least one each way.
    let (c, s) = (
        client_notifies.load(Ordering::Relaxed),
        server_notifies.load(Ordering::Relaxed),
    );
    assert!(
        (1..=MESSAGES as usize).contains(&c),
        "client notified {c} times"
    );
    assert!(
        (1..=MESSAGES as usize + 1).contains(&s),
        "server notified {s} times"
    );
}
