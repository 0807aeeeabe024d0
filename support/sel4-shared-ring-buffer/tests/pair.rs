//! The notify rule of `RingBuffers`.

mod common;

use std::cell::Cell;

use common::Mem;
use sel4_shared_ring_buffer::{
    ring_region_len, Client, Descriptor, Error, RingBuffers, RingConsumer, RingOptions,
    RingProducer, Server,
};

#[test]
fn notify_once_per_batch_and_only_after_enqueue() {
    let mem = Mem::new(4096);
    let len = ring_region_len(4).unwrap();
    let opts = RingOptions {
        capacity: Some(4),
        first_index: 0,
    };
    let free_p = RingProducer::init(mem.region(0, len), opts).unwrap();
    let used_c = RingConsumer::init(mem.region(1024, len), opts).unwrap();
    let free_c = RingConsumer::attach(mem.region(0, len), opts).unwrap();
    let used_p = RingProducer::attach(mem.region(1024, len), opts).unwrap();
    let server_calls = Cell::new(0);
    let client_calls = Cell::new(0);
    let mut server = RingBuffers::<Server, _>::new(free_p, used_c, 1024, || {
        server_calls.set(server_calls.get() + 1)
    });
    let mut client = RingBuffers::<Client, _>::new(free_c, used_p, 1024, || {
        client_calls.set(client_calls.get() + 1)
    });

    // Nothing enqueued: no notification.
    assert!(!server.notify_if_needed());
    assert_eq!(server_calls.get(), 0);

    // A batch of four: one notification.
    for b in 0..4u64 {
        server.enqueue(Descriptor::new(b * 256, 256, 0, 0)).unwrap();
    }
    assert!(server.notify_pending());
    assert!(server.notify_if_needed());
    assert!(!server.notify_if_needed());
    assert_eq!(server_calls.get(), 1);

    // A failed enqueue does not ask for a notification.
    assert_eq!(
        server.enqueue(Descriptor::new(0, 1, 0, 0)),
        Err(Error::Full)
    );
    assert!(!server.notify_pending());

    // Dequeuing alone does not either.
    let d = client.dequeue().unwrap().unwrap();
    assert!(!client.notify_pending());
    client.enqueue(Descriptor { cookie: 7, ..d }).unwrap();
    let d = client.dequeue().unwrap().unwrap();
    client.enqueue(Descriptor { cookie: 8, ..d }).unwrap();
    assert!(client.notify_if_needed());
    assert_eq!(client_calls.get(), 1);

    assert_eq!(server.dequeue().unwrap().unwrap().cookie, 7);
    assert_eq!(server.dequeue().unwrap().unwrap().cookie, 8);
    assert_eq!(server.dequeue(), Ok(None));
    assert_eq!(server_calls.get(), 1);
    assert_eq!(server.data_len(), 1024);
}
