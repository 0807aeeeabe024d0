//! MK0007 (with `ring_client`): the server owns the buffers. It sets up both
//! rings, offers every buffer on the free ring, and takes filled ones from
//! the used ring, checking each payload and the order, until 10 000 arrive.
#![no_std]
#![no_main]

use microkit_examples::ring::{regions, BUFFERS, BUFFER_SIZE, DESCRIPTORS};
use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler, MemoryRegion};
use sel4_shared_ring_buffer::{Descriptor, RingBuffers, RingConsumer, RingOptions, RingProducer, Server};

const CLIENT: Channel = Channel::new(0);
const NAME: &str = "MK0007";
const WHAT: &str = "a ring passes 10 000 descriptors between two PDs";

protection_domain!(init);

struct RingServer {
    rings: Option<RingBuffers<Server, fn()>>,
    data: Option<MemoryRegion>,
    received: u64,
    done: bool,
}

fn notify_client() {
    let _ = CLIENT.notify();
}

fn setup() -> Result<(RingBuffers<Server, fn()>, MemoryRegion), &'static str> {
    let (free, used, data) = regions(BUFFERS * BUFFER_SIZE)?;
    let free = RingProducer::init(free, RingOptions::default()).map_err(|_| "free ring init")?;
    let used = RingConsumer::init(used, RingOptions::default()).map_err(|_| "used ring init")?;
    let mut rings = RingBuffers::<Server, fn()>::new(free, used, data.size(), notify_client);
    for i in 0..BUFFERS {
        let d = Descriptor::new((i * BUFFER_SIZE) as u64, BUFFER_SIZE as u32, 0, i as u64);
        rings.enqueue(d).map_err(|_| "cannot offer a buffer")?;
    }
    rings.notify_if_needed();
    Ok((rings, data))
}

fn init() -> RingServer {
    match setup() {
        Ok((rings, data)) => RingServer { rings: Some(rings), data: Some(data), received: 0, done: false },
        Err(e) => {
            microkit_examples::report(NAME, WHAT, Err(e));
            RingServer { rings: None, data: None, received: 0, done: true }
        }
    }
}

impl RingServer {
    /// Takes every filled buffer, checks it, and offers it again.
    fn drain(&mut self) -> Result<(), &'static str> {
        let (Some(rings), Some(data)) = (self.rings.as_mut(), self.data.as_ref()) else {
            return Err("not set up");
        };
        while let Some(d) = rings.dequeue().map_err(|_| "used ring error")? {
            let seq = data.read_u64(d.offset as usize).map_err(|_| "payload out of bounds")?;
            microkit_examples::ensure(seq == self.received && d.cookie == seq, "descriptor out of order")?;
            self.received += 1;
            rings.enqueue(d).map_err(|_| "free ring full")?;
        }
        rings.notify_if_needed();
        Ok(())
    }
}

impl Handler for RingServer {
    fn notified(&mut self, _channels: ChannelSet) {
        if self.done {
            return;
        }
        let result = self.drain();
        if result.is_err() || self.received >= DESCRIPTORS {
            self.done = true;
            let result = result.and_then(|()| microkit_examples::ensure(self.received == DESCRIPTORS, "too many descriptors"));
            microkit_examples::report(NAME, WHAT, result);
        }
    }
}
