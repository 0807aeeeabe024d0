//! MK0007 (with `ring_server`): takes free buffers, writes a sequence number
//! into each, and hands them back on the used ring until 10 000 are sent.
#![no_std]
#![no_main]

use microkit_examples::ring::{regions, BUFFERS, BUFFER_SIZE, DESCRIPTORS};
use sel4_microkit::{debug_println, protection_domain, Channel, ChannelSet, Handler, MemoryRegion};
use sel4_shared_ring_buffer::{Client, RingBuffers, RingConsumer, RingOptions, RingProducer};

const SERVER: Channel = Channel::new(0);

protection_domain!(init);

struct RingClient {
    rings: Option<RingBuffers<Client, fn()>>,
    data: Option<MemoryRegion>,
    sent: u64,
}

fn notify_server() {
    let _ = SERVER.notify();
}

fn setup() -> Result<(RingBuffers<Client, fn()>, MemoryRegion), &'static str> {
    let (free, used, data) = regions(BUFFERS * BUFFER_SIZE)?;
    // The server (higher priority) initialised both rings before we ran.
    let free = RingConsumer::attach(free, RingOptions::default()).map_err(|_| "free ring attach")?;
    let used = RingProducer::attach(used, RingOptions::default()).map_err(|_| "used ring attach")?;
    Ok((RingBuffers::<Client, fn()>::new(free, used, data.size(), notify_server), data))
}

fn init() -> RingClient {
    match setup() {
        Ok((rings, data)) => {
            let mut client = RingClient { rings: Some(rings), data: Some(data), sent: 0 };
            client.send();
            client
        }
        Err(e) => {
            debug_println!("{e}");
            RingClient { rings: None, data: None, sent: 0 }
        }
    }
}

impl RingClient {
    fn send(&mut self) {
        let (Some(rings), Some(data)) = (self.rings.as_mut(), self.data.as_ref()) else { return };
        while self.sent < DESCRIPTORS {
            let mut d = match rings.dequeue() {
                Ok(Some(d)) => d,
                Ok(None) => break,
                Err(e) => {
                    debug_println!("free ring: {e}");
                    return;
                }
            };
            if data.write_u64(d.offset as usize, self.sent).is_err() {
                debug_println!("free buffer out of bounds");
                return;
            }
            d.cookie = self.sent;
            if let Err(e) = rings.enqueue(d) {
                debug_println!("used ring: {e}");
                return;
            }
            self.sent += 1;
        }
        rings.notify_if_needed();
    }
}

impl Handler for RingClient {
    fn notified(&mut self, _channels: ChannelSet) {
        self.send();
    }
}
