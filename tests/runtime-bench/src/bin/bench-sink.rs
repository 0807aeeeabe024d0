//! The ring's server: owns the buffers, offers them all on the free ring,
//! and on each notification takes every filled buffer from the used ring,
//! copies its payload out (checking the first word against the cookie),
//! and offers it again.
#![no_std]
#![no_main]

use microkit_examples::ring::regions;
use runtime_bench::{stamp, stamps, Payload, BUFFERS, HAS_PAYLOAD, PAYLOAD};
use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler, MemoryRegion};
use sel4_shared_ring_buffer::{Descriptor, RingBuffers, RingConsumer, RingOptions, RingProducer, Server};

const CLIENT: Channel = Channel::new(0);

protection_domain!(init);

struct Sink {
    rings: Option<RingBuffers<Server, fn()>>,
    data: Option<MemoryRegion>,
    stamps: Option<MemoryRegion>,
    bad: u64,
    payload: Payload,
}

fn notify_client() {
    let _ = CLIENT.notify();
}

fn setup() -> Option<(RingBuffers<Server, fn()>, MemoryRegion)> {
    let (free, used, data) = regions(BUFFERS * PAYLOAD).ok()?;
    let free = RingProducer::init(free, RingOptions::default()).ok()?;
    let used = RingConsumer::init(used, RingOptions::default()).ok()?;
    let mut rings = RingBuffers::<Server, fn()>::new(free, used, data.size(), notify_client);
    for i in 0..BUFFERS {
        rings.enqueue(Descriptor::new((i * PAYLOAD) as u64, PAYLOAD as u32, 0, 0)).ok()?;
    }
    Some((rings, data))
}

fn init() -> Sink {
    // Without rings the client's ring benchmarks find no free buffer and say so.
    let (rings, data) = setup().unzip();
    Sink { rings, data, stamps: stamps(), bad: 0, payload: Payload([0; PAYLOAD]) }
}

impl Handler for Sink {
    fn notified(&mut self, _channels: ChannelSet) {
        let (Some(rings), Some(data)) = (self.rings.as_mut(), self.data.as_ref()) else { return };
        let before = self.bad;
        while let Ok(Some(d)) = rings.dequeue() {
            if d.flags & HAS_PAYLOAD != 0 {
                // A length past our buffer is the client's mistake: counted, not copied.
                let copied = match self.payload.0.get_mut(..d.len as usize) {
                    Some(buf) => data.read(d.offset as usize, buf).is_ok(),
                    None => false,
                };
                let first = self.payload.0.first_chunk::<8>().map(|w| u64::from_le_bytes(*w));
                if !copied || first != Some(d.cookie) {
                    self.bad += 1;
                }
            }
            if rings.enqueue(d).is_err() {
                self.bad += 1;
            }
        }
        if self.bad != before {
            if let Some(stamps) = &self.stamps {
                let _ = stamps.write_u64(stamp::BAD_PAYLOADS, self.bad);
            }
        }
        rings.notify_if_needed();
    }
}
