//! Writing a spec (host side, used by the tool).

use std::vec::Vec;

use zerocopy::IntoBytes;

use crate::parse::seal;
use crate::records::*;
use crate::{MAGIC, VERSION};

/// One program segment to embed.
pub struct SegmentDesc<'a> {
    pub vaddr: u64,
    pub mem_size: u64,
    pub perms: u32,
    /// The file part, already patched; the rest up to `mem_size` is zero.
    pub bytes: &'a [u8],
}

/// One protection domain to embed. Channel ends name peers by their index,
/// which is the order PDs are added in (parents before children).
pub struct PdDesc<'a> {
    pub name: &'a str,
    pub entry: u64,
    pub stack_size: u64,
    pub parent: Option<u32>,
    pub child_id: u32,
    pub priority: u8,
    pub flags: u8,
    pub segments: Vec<SegmentDesc<'a>>,
    pub maps: Vec<Map>,
    pub irqs: Vec<Irq>,
    pub ends: Vec<End>,
    pub paddr_patches: Vec<PaddrPatch>,
}

/// Collects records; `finish` lays them out and seals the blob.
#[derive(Default)]
pub struct SpecBuilder {
    pds: Vec<Pd>,
    segments: Vec<Segment>,
    regions: Vec<Region>,
    maps: Vec<Map>,
    irqs: Vec<Irq>,
    ends: Vec<End>,
    paddr_patches: Vec<PaddrPatch>,
    /// Spans in records point in here until `finish` moves them to blob offsets.
    data: Vec<u8>,
}

impl SpecBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `prefill` is copied to the region's start at boot (empty for none).
    pub fn add_region(&mut self, name: &str, size: u64, page_size: u64, fixed_phys: Option<u64>, prefill: &[u8]) -> u32 {
        let name = self.add_data(name.as_bytes());
        let prefill = self.add_data(prefill);
        let (phys_addr, flags) = fixed_phys.map_or((0, 0), |p| (p, REGION_FIXED));
        self.regions.push(Region { name, size, page_size, phys_addr, prefill, flags, _pad: 0 });
        (self.regions.len() - 1) as u32
    }

    pub fn add_pd(&mut self, pd: PdDesc<'_>) -> u32 {
        let name = self.add_data(pd.name.as_bytes());
        let segments = run(self.segments.len(), pd.segments.len());
        for s in &pd.segments {
            let data = self.add_data(s.bytes);
            self.segments.push(Segment { vaddr: s.vaddr, mem_size: s.mem_size, data, perms: s.perms, _pad: 0 });
        }
        let maps = extend(&mut self.maps, pd.maps);
        let irqs = extend(&mut self.irqs, pd.irqs);
        let ends = extend(&mut self.ends, pd.ends);
        let paddr_patches = extend(&mut self.paddr_patches, pd.paddr_patches);
        self.pds.push(Pd {
            name,
            entry: pd.entry,
            stack_size: pd.stack_size,
            parent: pd.parent.unwrap_or(NO_PARENT),
            child_id: pd.child_id,
            priority: pd.priority,
            flags: pd.flags,
            _pad: [0; 6],
            segments,
            maps,
            irqs,
            ends,
            paddr_patches,
        });
        (self.pds.len() - 1) as u32
    }

    /// The finished blob: header, tables, data area.
    pub fn finish(mut self) -> Vec<u8> {
        let mut offset = core::mem::size_of::<Header>() as u64;
        let mut place = |bytes: usize, count: usize| {
            let span = Span { offset, len: count as u64 };
            offset += bytes as u64;
            span
        };
        let pds = place(self.pds.as_bytes().len(), self.pds.len());
        let segments = place(self.segments.as_bytes().len(), self.segments.len());
        let regions = place(self.regions.as_bytes().len(), self.regions.len());
        let maps = place(self.maps.as_bytes().len(), self.maps.len());
        let irqs = place(self.irqs.as_bytes().len(), self.irqs.len());
        let ends = place(self.ends.as_bytes().len(), self.ends.len());
        let paddr_patches = place(self.paddr_patches.as_bytes().len(), self.paddr_patches.len());
        let data = Span { offset, len: self.data.len() as u64 };

        let base = data.offset;
        for pd in &mut self.pds {
            pd.name.offset += base;
        }
        for s in &mut self.segments {
            s.data.offset += base;
        }
        for r in &mut self.regions {
            r.name.offset += base;
            r.prefill.offset += base;
        }
        let header = Header {
            magic: MAGIC,
            version: VERSION,
            header_size: core::mem::size_of::<Header>() as u32,
            total_size: data.offset + data.len,
            checksum: 0,
            pds,
            segments,
            regions,
            maps,
            irqs,
            ends,
            paddr_patches,
            data,
        };
        let mut blob = Vec::with_capacity(header.total_size as usize);
        blob.extend_from_slice(header.as_bytes());
        blob.extend_from_slice(self.pds.as_bytes());
        blob.extend_from_slice(self.segments.as_bytes());
        blob.extend_from_slice(self.regions.as_bytes());
        blob.extend_from_slice(self.maps.as_bytes());
        blob.extend_from_slice(self.irqs.as_bytes());
        blob.extend_from_slice(self.ends.as_bytes());
        blob.extend_from_slice(self.paddr_patches.as_bytes());
        blob.extend_from_slice(&self.data);
        seal(&mut blob);
        blob
    }

    fn add_data(&mut self, bytes: &[u8]) -> Span {
        let span = Span { offset: self.data.len() as u64, len: bytes.len() as u64 };
        self.data.extend_from_slice(bytes);
        span
    }
}

fn run(first: usize, count: usize) -> Run {
    Run { first: first as u32, count: count as u32 }
}

fn extend<T>(table: &mut Vec<T>, items: Vec<T>) -> Run {
    let r = run(table.len(), items.len());
    table.extend(items);
    r
}
