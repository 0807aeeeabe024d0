//! The buffers exclave: owner of the default system's two named buffers.
//! It writes the outbound one (XNU maps it read-only) with a new generation
//! of `tightbeam::buffers::pattern` on each `refill`, and hashes what XNU
//! wrote into the inbound one (which it maps read-only itself) on each
//! `digest`, so a task can check that bytes cross both ways.
#![no_std]
#![no_main]

use exclaves::Service;
use sel4_microkit::{memory_region_symbol, protection_domain, MemoryRegion};
use tightbeam::buffers::{fnv1a, fnv1a_more, pattern, DigestReply, Filled};
use tightbeam::{ErrorCode, Reply, Request, Scratch, ServiceId};

protection_domain!(init);

/// Each buffer's size in system.xml.
const BUFFER_BYTES: usize = 0x4000;
/// Bytes moved per volatile copy to or from a buffer.
const CHUNK: usize = 0x400;

/// A digest longer than the inbound buffer.
const TOO_LONG: ErrorCode = ErrorCode::service(1);
/// A buffer system.xml did not map.
const NO_BUFFER: ErrorCode = ErrorCode::service(2);

struct Buffers {
    outbound: Option<MemoryRegion>,
    inbound: Option<MemoryRegion>,
    generation: u64,
}

impl Buffers {
    fn refill(&mut self) -> Result<Filled, ErrorCode> {
        let out = self.outbound.ok_or(NO_BUFFER)?;
        let generation = self.generation + 1;
        let mut chunk = [0u8; CHUNK];
        for at in (0..out.size()).step_by(CHUNK) {
            for (i, b) in chunk.iter_mut().enumerate() {
                *b = pattern(generation, at + i);
            }
            out.write(at, &chunk).map_err(|_| NO_BUFFER)?;
        }
        self.generation = generation;
        Ok(Filled { generation, len: out.size() as u32 })
    }

    fn digest(&self, len: u32) -> Result<DigestReply, ErrorCode> {
        let inbound = self.inbound.ok_or(NO_BUFFER)?;
        let len = usize::try_from(len).ok().filter(|&l| l <= inbound.size()).ok_or(TOO_LONG)?;
        // FNV-1a over private copies: XNU may write the buffer meanwhile.
        let mut hash = fnv1a(&[]);
        let mut chunk = [0u8; CHUNK];
        for at in (0..len).step_by(CHUNK) {
            let n = CHUNK.min(len - at);
            inbound.read(at, &mut chunk[..n]).map_err(|_| NO_BUFFER)?;
            hash = fnv1a_more(hash, &chunk[..n]);
        }
        Ok(DigestReply { digest: hash })
    }
}

impl tightbeam::Handler for Buffers {
    const SERVICE: ServiceId = ServiceId::Buffers;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::Refill(_) => self.refill().map(Reply::Filled),
            Request::Digest(d) => self.digest(d.len).map(Reply::Digest),
            // The dispatcher hands this handler the buffers methods only.
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

fn init() -> Service<Buffers> {
    let outbound = memory_region_symbol!(outbound_buffer, BUFFER_BYTES).ok();
    let inbound = memory_region_symbol!(inbound_buffer, BUFFER_BYTES).ok();
    Service::new(Buffers { outbound, inbound, generation: 0 })
}
